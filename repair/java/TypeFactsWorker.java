import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers "what does class X declare?" by reflection over the JDK and the classpath it was started
 * with (a project's test classpath), for the offline engine's type-aware templates.
 *
 * Protocol: {"ready": true} at start; then one request per line, a class's binary name
 * (e.g. `java.lang.String`, `java.util.Map$Entry`), and one JSON reply per line:
 *   {"name": ..., "found": false}, or
 *   {"name": ..., "found": true, "kind": "class|interface|enum|annotation", "final": bool,
 *    "supertypes": [...], "typeParams": [...],
 *    "methods": [[name, static, varargs, returnType, genericReturnType, paramType...], ...],
 *    "fields": [[name, static, type, final], ...], "constructors": [arity, ...]}
 * Types are Java source spellings of erased types (`java.lang.String[]`, `int`); nested classes
 * keep `$`. Classes are looked up without initialising them, so no static code of the project runs.
 */
public final class TypeFactsWorker {
    private TypeFactsWorker() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream protocol = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        protocol.println("{\"ready\":true}");
        protocol.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        ClassLoader loader = TypeFactsWorker.class.getClassLoader();
        String line;
        while ((line = in.readLine()) != null) {
            String name = line.trim();
            if (name.isEmpty()) continue;
            String reply;
            try {
                reply = describe(Class.forName(name, false, loader));
            } catch (Throwable t) {  // not found, or a class that cannot be linked here
                reply = "{\"name\":" + RepairJson.quote(name) + ",\"found\":false}";
            }
            protocol.println(reply);
            protocol.flush();
        }
    }

    private static String describe(Class<?> c) {
        StringBuilder b = new StringBuilder("{\"name\":").append(RepairJson.quote(c.getName()));
        String kind = c.isAnnotation() ? "annotation" : c.isInterface() ? "interface" : c.isEnum() ? "enum" : "class";
        b.append(",\"found\":true,\"kind\":\"").append(kind).append('"');
        b.append(",\"final\":").append(Modifier.isFinal(c.getModifiers()));
        List<String> supertypes = new ArrayList<>();
        if (c.getSuperclass() != null) {
            supertypes.add(c.getSuperclass().getName());
        } else if (c.isInterface()) {
            supertypes.add("java.lang.Object");
        }
        for (Class<?> i : c.getInterfaces()) supertypes.add(i.getName());
        List<String> typeParams = new ArrayList<>();
        for (TypeVariable<?> v : c.getTypeParameters()) typeParams.add(v.getName());
        b.append(",\"supertypes\":").append(strings(supertypes)).append(",\"typeParams\":").append(strings(typeParams));
        boolean first;
        b.append(",\"methods\":[");
        first = true;
        for (Method m : c.getDeclaredMethods()) {
            if (m.isSynthetic() || m.isBridge() || Modifier.isPrivate(m.getModifiers())) continue;
            if (!first) b.append(',');
            first = false;
            b.append('[').append(RepairJson.quote(m.getName()))
                    .append(',').append(Modifier.isStatic(m.getModifiers()))
                    .append(',').append(m.isVarArgs())
                    .append(',').append(RepairJson.quote(m.getReturnType().getTypeName()))
                    .append(',').append(RepairJson.quote(generic(m.getGenericReturnType())));
            for (Class<?> p : m.getParameterTypes()) b.append(',').append(RepairJson.quote(p.getTypeName()));
            b.append(']');
        }
        b.append("],\"fields\":[");
        first = true;
        for (Field f : c.getDeclaredFields()) {
            if (f.isSynthetic() || Modifier.isPrivate(f.getModifiers())) continue;
            if (!first) b.append(',');
            first = false;
            b.append('[').append(RepairJson.quote(f.getName())).append(',')
                    .append(Modifier.isStatic(f.getModifiers())).append(',')
                    .append(RepairJson.quote(f.getType().getTypeName())).append(',')
                    .append(Modifier.isFinal(f.getModifiers())).append(']');
        }
        b.append("],\"constructors\":[");
        first = true;
        for (java.lang.reflect.Constructor<?> k : c.getDeclaredConstructors()) {
            if (Modifier.isPrivate(k.getModifiers())) continue;
            if (!first) b.append(',');
            first = false;
            b.append(k.isVarArgs() ? -1 - k.getParameterCount() : k.getParameterCount());
        }
        return b.append("]}").toString();
    }

    private static String strings(List<String> items) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) b.append(',');
            b.append(RepairJson.quote(items.get(i)));
        }
        return b.append(']').toString();
    }

    /** A type variable's name (`E`), or the erased spelling of anything else. */
    private static String generic(Type t) {
        return t instanceof TypeVariable ? ((TypeVariable<?>) t).getName() : "";
    }
}

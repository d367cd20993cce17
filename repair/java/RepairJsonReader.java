import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader for the requests our workers get (one object per line): objects become
 * LinkedHashMap, arrays ArrayList, strings String, numbers Double, true/false Boolean, null null.
 * Source texts travel inside requests, so strings may hold any character.
 */
public final class RepairJsonReader {
    private final String s;
    private int i;

    private RepairJsonReader(String s) {
        this.s = s;
    }

    /** The value of one JSON text; IllegalArgumentException when it is not JSON. */
    static Object parse(String text) {
        RepairJsonReader r = new RepairJsonReader(text);
        Object value = r.value();
        r.skipSpace();
        if (r.i != r.s.length()) throw r.error("trailing characters");
        return value;
    }

    /** The string field `name` of an object (or "" when absent or not a string). */
    static String string(Map<?, ?> object, String name) {
        Object v = object.get(name);
        return v instanceof String ? (String) v : "";
    }

    /** The string items of the array field `name` (empty when absent). */
    static List<String> strings(Map<?, ?> object, String name) {
        List<String> out = new ArrayList<>();
        Object v = object.get(name);
        if (v instanceof List) {
            for (Object item : (List<?>) v) {
                if (item instanceof String) out.add((String) item);
            }
        }
        return out;
    }

    /** The object field `name` with string values (empty when absent). */
    static Map<String, String> stringMap(Map<?, ?> object, String name) {
        Map<String, String> out = new LinkedHashMap<>();
        Object v = object.get(name);
        if (v instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (e.getValue() instanceof String) out.put(String.valueOf(e.getKey()), (String) e.getValue());
            }
        }
        return out;
    }

    /** A truthy field: true, a non-zero number, or a string other than "", "0" and "false". */
    static boolean flag(Map<?, ?> object, String name) {
        Object v = object.get(name);
        if (v instanceof Boolean) return (Boolean) v;
        if (v instanceof Double) return (Double) v != 0;
        return v instanceof String && !((String) v).isEmpty() && !"0".equals(v) && !"false".equals(v);
    }

    /** A number field, also when sent as a string; `fallback` when absent. */
    static double number(Map<?, ?> object, String name, double fallback) {
        Object v = object.get(name);
        if (v instanceof Double) return (Double) v;
        if (v instanceof String && !((String) v).isEmpty()) return Double.parseDouble((String) v);
        return fallback;
    }

    private IllegalArgumentException error(String why) {
        return new IllegalArgumentException("bad JSON at " + i + ": " + why);
    }

    private void skipSpace() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private Object value() {
        skipSpace();
        if (i >= s.length()) throw error("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{': return object();
            case '[': return array();
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default: return number();
        }
    }

    private Object literal(String word, Object value) {
        if (!s.startsWith(word, i)) throw error("unknown literal");
        i += word.length();
        return value;
    }

    private Map<String, Object> object() {
        Map<String, Object> out = new LinkedHashMap<>();
        i++;
        skipSpace();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            return out;
        }
        while (true) {
            skipSpace();
            if (i >= s.length() || s.charAt(i) != '"') throw error("expected a key");
            String key = string();
            skipSpace();
            if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':'");
            i++;
            out.put(key, value());
            skipSpace();
            if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
            if (i < s.length() && s.charAt(i) == '}') { i++; return out; }
            throw error("expected ',' or '}'");
        }
    }

    private List<Object> array() {
        List<Object> out = new ArrayList<>();
        i++;
        skipSpace();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            return out;
        }
        while (true) {
            out.add(value());
            skipSpace();
            if (i < s.length() && s.charAt(i) == ',') { i++; continue; }
            if (i < s.length() && s.charAt(i) == ']') { i++; return out; }
            throw error("expected ',' or ']'");
        }
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        i++;
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c != '\\') { b.append(c); continue; }
            if (i >= s.length()) break;
            char n = s.charAt(i++);
            switch (n) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u':
                    if (i + 4 > s.length()) throw error("short \\u escape");
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                    break;
                default: b.append(n);
            }
        }
        throw error("unterminated string");
    }

    private Double number() {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        if (start == i) throw error("unexpected character");
        return Double.parseDouble(s.substring(start, i));
    }
}

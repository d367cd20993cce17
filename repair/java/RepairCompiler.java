import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/**
 * ValidationWorker's compiler: javax.tools.JavaCompiler in-process, class files in memory.
 *
 * - A small program ("runpath" empty): the first request compiles every source once from disk, the base.
 *   A later request (a candidate written to disk, or its texts sent in "patched") compiles only the files
 *   that differ from the base, against the base's classes in memory; the test classes and the other
 *   sources are never compiled again. When a changed class offers other classes something different (a
 *   member's signature, a constant javac inlines), everything is compiled again, as javac alone would.
 *   `precompile` compiles many candidates of one file in one javac task, each under a temporary class name
 *   (renamed back in the class files); a candidate that breaks the batch is compiled alone.
 * - A built project ("runpath" = its test classpath): only the files a candidate changed, against the
 *   project's class folders.
 */
final class RepairCompiler {
    private static final JavaCompiler COMPILER = ToolProvider.getSystemJavaCompiler();
    private static final int MAX_VARIANTS = 1024;  // compiled candidates kept in memory
    private static final int MAX_BATCH = 64;  // candidates per javac task
    private static StandardJavaFileManager standardManager;
    // A built project: the last compilation, reused when the next request compiles the same text the same
    // way (a validation compiles once and then runs the failing tests and the rest in two requests).
    private static String lastCompileKey = "";
    private static Map<String, byte[]> lastClasses = new HashMap<>();
    // A small program: the unpatched sources compiled once, and the candidates compiled against them.
    private static Base base;
    private static final Map<String, Variant> VARIANTS = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Variant> eldest) {
            return size() > MAX_VARIANTS;
        }
    };
    private static final Map<String, Object[]> DISK = new HashMap<>();  // path -> {mtime, size, text}

    private RepairCompiler() {
    }

    /** Whether this JVM has a compiler (a JDK, not a JRE); opens the file manager. */
    static boolean available() {
        if (COMPILER == null) return false;
        if (standardManager == null) {
            standardManager = COMPILER.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
        }
        return true;
    }

    /** How javac is told to compile: the same for the base and every candidate of it. */
    static final class Settings {
        final String sourcepath;
        final String classpath;
        final List<String> options;
        final String key;

        Settings(Map<?, ?> request) {
            sourcepath = RepairJsonReader.string(request, "sourcepath");
            classpath = RepairJsonReader.string(request, "classpath");
            options = RepairJsonReader.strings(request, "options");
            key = sourcepath + "\0" + classpath + "\0" + options;
        }
    }

    /** Compiled classes (or javac's complaint) for one request, and how they were had. */
    static final class Outcome {
        final ClassSet classes;
        final String errors;
        final String how;

        Outcome(ClassSet classes, String errors, String how) {
            this.classes = classes;
            this.errors = errors;
            this.how = how;
        }
    }

    /** What one javac task made: classes by binary name, the source each came from, and the errors. */
    static final class Compilation {
        final Map<String, byte[]> classes = new HashMap<>();
        final Map<String, String> origins = new HashMap<>();  // class -> source path
        final Map<String, JavaFileObject> units = new HashMap<>();  // class -> the unit it came from
        final Map<JavaFileObject, List<String>> unitErrors = new IdentityHashMap<>();
        String errors;
    }

    /** The unpatched sources of a small program, compiled once. */
    static final class Base {
        final String settings;
        final List<String> explicit;
        final Map<String, String> texts = new TreeMap<>();  // every source a class came from -> its text
        final Map<String, byte[]> classes;
        final Map<String, String> origins;

        Base(String settings, List<String> explicit, Compilation c) throws IOException {
            this.settings = settings;
            this.explicit = explicit;
            this.classes = c.classes;
            this.origins = c.origins;
            for (String path : explicit) texts.put(path, readDisk(path));
            for (String path : c.origins.values()) {
                if (!texts.containsKey(path) && new File(path).isFile()) texts.put(path, readDisk(path));
            }
        }

        List<String> classesOf(String path) {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, String> e : origins.entrySet()) {
                if (e.getValue().equals(path)) out.add(e.getKey());
            }
            return out;
        }
    }

    /** A candidate compiled against the base: its classes (over the base's), or a full set, or errors. */
    static final class Variant {
        final Map<String, byte[]> overlay;
        final Map<String, String> origins;
        final Set<String> replaced;  // source paths whose base classes the overlay replaces
        final ClassSet full;
        final String errors;
        final String how;

        Variant(Map<String, byte[]> overlay, Map<String, String> origins, Set<String> replaced, ClassSet full,
                String errors, String how) {
            this.overlay = overlay;
            this.origins = origins;
            this.replaced = replaced;
            this.full = full;
            this.errors = errors;
            this.how = how;
        }
    }

    /** A small program's classes for one request: the base, with the candidate's files compiled anew. */
    static Outcome resolve(List<String> sources, Map<String, String> patched, Settings settings)
            throws IOException {
        ensureBase(sources, settings);
        if (base == null) {
            Compilation c = compileFull(sources, patched, settings);
            return new Outcome(c.errors == null ? ClassSet.of(c) : null, c.errors, "full");
        }
        Map<String, String> changed = new TreeMap<>();
        for (Map.Entry<String, String> e : patched.entrySet()) {
            if (!base.texts.containsKey(e.getKey())) {  // a file the base never compiled: javac decides
                Compilation c = compileFull(sources, patched, settings);
                return new Outcome(c.errors == null ? ClassSet.of(c) : null, c.errors, "full");
            }
        }
        for (Map.Entry<String, String> e : base.texts.entrySet()) {
            String text = patched.containsKey(e.getKey()) ? patched.get(e.getKey()) : readDisk(e.getKey());
            if (!text.equals(e.getValue())) changed.put(e.getKey(), text);
        }
        if (changed.isEmpty()) return new Outcome(ClassSet.of(base), null, "base");
        String key = variantKey(changed);
        Variant v = VARIANTS.get(key);
        String how = v == null ? null : "cached";
        if (v == null) {
            v = compileAgainstBase(changed, settings);
            VARIANTS.put(key, v);
            how = v.how;
        }
        if (v.errors != null) return new Outcome(null, v.errors, how);
        if (v.full != null) return new Outcome(v.full, null, how);
        return new Outcome(ClassSet.over(base, v), null, how);
    }

    /** Compile the unpatched sources once (again when the settings or the source list change). */
    private static void ensureBase(List<String> sources, Settings settings) throws IOException {
        if (base != null && base.settings.equals(settings.key) && base.explicit.equals(sources)) return;
        base = null;
        VARIANTS.clear();
        Compilation c = compileFull(sources, Map.of(), settings);
        if (c.errors == null) base = new Base(settings.key, new ArrayList<>(sources), c);
    }

    private static String variantKey(Map<String, String> changed) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : changed.entrySet()) b.append(e.getKey()).append('\0').append(e.getValue()).append('\0');
        return sha256(b.toString());
    }

    /** The changed files against the base's classes; everything again when a changed class's shape moved. */
    private static Variant compileAgainstBase(Map<String, String> changed, Settings settings) throws IOException {
        List<JavaFileObject> units = new ArrayList<>();
        for (Map.Entry<String, String> e : changed.entrySet()) units.add(new SourceText(e.getKey(), e.getValue()));
        Compilation c = compile(units, "", settings, inputsWithout(changed.keySet()));
        if (c.errors != null) return new Variant(null, null, null, null, c.errors, "alone");
        if (sameShapes(c.classes, changed.keySet())) {
            return new Variant(c.classes, c.origins, changed.keySet(), null, null, "alone");
        }
        Compilation full = compileFull(base.explicit, changed, settings);
        return new Variant(null, null, null, full.errors == null ? ClassSet.of(full) : null, full.errors, "full");
    }

    /** Whether every named class the base compiled from `paths` offers the same to other classes in `made`. */
    private static boolean sameShapes(Map<String, byte[]> made, Set<String> paths) throws IOException {
        for (String path : paths) {
            for (String name : base.classesOf(path)) {
                if (anonymous(name)) continue;
                byte[] now = made.get(name);
                if (now == null || !RepairClassFiles.shape(now).equals(RepairClassFiles.shape(base.classes.get(name)))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A local or anonymous class (`Outer$1`, `Outer$1Local`): no other source can name it. */
    private static boolean anonymous(String name) {
        int dollar = name.lastIndexOf('$');
        return dollar >= 0 && dollar + 1 < name.length() && Character.isDigit(name.charAt(dollar + 1));
    }

    /** The base's classes as compiler inputs, less those compiled from `paths`. */
    private static Map<String, byte[]> inputsWithout(Set<String> paths) {
        Map<String, byte[]> inputs = new HashMap<>();
        for (Map.Entry<String, byte[]> e : base.classes.entrySet()) {
            if (!paths.contains(base.origins.get(e.getKey()))) inputs.put(e.getKey(), e.getValue());
        }
        return inputs;
    }

    /** Every source, with `patched` texts for some of them, as javac alone would compile them. */
    private static Compilation compileFull(List<String> sources, Map<String, String> patched, Settings settings)
            throws IOException {
        List<JavaFileObject> units = new ArrayList<>();
        Set<String> listed = new HashSet<>(sources);
        for (String path : sources) {
            units.add(patched.containsKey(path) ? new SourceText(path, patched.get(path)) : diskUnit(path));
        }
        for (Map.Entry<String, String> e : patched.entrySet()) {  // a patched file javac finds on the sourcepath
            if (!listed.contains(e.getKey())) units.add(new SourceText(e.getKey(), e.getValue()));
        }
        return compile(units, settings.sourcepath, settings, Map.of());
    }

    private static JavaFileObject diskUnit(String path) {
        for (JavaFileObject unit : standardManager.getJavaFileObjects(new File(path))) return unit;
        throw new IllegalArgumentException("no such source: " + path);
    }

    /** A built project: the changed files (from disk, or their `patched` texts) against its class folders. */
    static Outcome compileProject(List<String> sources, Map<String, String> patched, Settings settings)
            throws IOException {
        Map<String, String> texts = new TreeMap<>();
        for (String path : sources) texts.put(path, patched.containsKey(path) ? patched.get(path) : readDisk(path));
        String key = sources.isEmpty() ? "" : sha256(settings.key + "\0" + variantKey(texts));
        if (!key.isEmpty() && key.equals(lastCompileKey)) {
            return new Outcome(ClassSet.plain(lastClasses), null, "cached");
        }
        Map<String, byte[]> classes = new HashMap<>();
        String errors = null;
        if (!sources.isEmpty()) {
            List<JavaFileObject> units = new ArrayList<>();
            for (Map.Entry<String, String> e : texts.entrySet()) units.add(new SourceText(e.getKey(), e.getValue()));
            Compilation c = compile(units, settings.sourcepath, settings, Map.of());
            classes = c.classes;
            errors = c.errors;
        }
        lastCompileKey = errors == null ? key : "";
        lastClasses = classes;
        return new Outcome(errors == null ? ClassSet.plain(classes) : null, errors, "project");
    }

    // -- many candidates of one file in one javac task ----------------------------------------------------

    /**
     * Compile the `variants` of a precompile request ahead, many per javac task; {batched, alone}, or null when
     * there is no base to compile them against (a built project, or sources that do not compile).
     */
    static int[] precompile(Map<?, ?> request) throws IOException {
        Settings settings = new Settings(request);
        ensureBase(normalized(RepairJsonReader.strings(request, "sources")), settings);
        if (base == null || !RepairJsonReader.string(request, "runpath").isEmpty()) return null;
        Map<String, List<String>> byPath = new LinkedHashMap<>();
        Object variants = request.get("variants");
        if (variants instanceof List) {
            for (Object item : (List<?>) variants) {
                if (!(item instanceof Map)) continue;
                String path = normalized(RepairJsonReader.string((Map<?, ?>) item, "path"));
                String text = RepairJsonReader.string((Map<?, ?>) item, "text");
                String old = base.texts.get(path);
                if (old == null || old.equals(text) || VARIANTS.containsKey(variantKey(Map.of(path, text)))) continue;
                List<String> texts = byPath.computeIfAbsent(path, k -> new ArrayList<>());
                if (!texts.contains(text)) texts.add(text);
            }
        }
        int batched = 0;
        int alone = 0;
        for (Map.Entry<String, List<String>> e : byPath.entrySet()) {
            List<String> texts = e.getValue();
            for (int from = 0; from < texts.size(); from += MAX_BATCH) {
                List<String> chunk = texts.subList(from, Math.min(texts.size(), from + MAX_BATCH));
                List<String> left = chunk.size() > 1 ? compileBatch(e.getKey(), chunk, settings, true) : chunk;
                batched += chunk.size() - left.size();
                for (String text : left) {
                    Map<String, String> one = Map.of(e.getKey(), text);
                    VARIANTS.put(variantKey(one), compileAgainstBase(one, settings));
                    alone++;
                }
            }
        }
        return new int[] {batched, alone};
    }

    /**
     * Compile the candidate `texts` of `path` in one javac task, each with its top-level classes renamed
     * (`GCD` -> `GCD__rc3__`) so that they can sit side by side; the class files are renamed back. Returns
     * the texts that must be compiled alone (an error in the batch, a name the renaming cannot take).
     */
    private static List<String> compileBatch(String path, List<String> texts, Settings settings, boolean retry)
            throws IOException {
        Set<String> names = new HashSet<>();
        String pkg = null;
        for (String name : base.classesOf(path)) {
            if (name.indexOf('$') >= 0) continue;
            int dot = name.lastIndexOf('.');
            names.add(name.substring(dot + 1));
            pkg = dot < 0 ? "" : name.substring(0, dot);
        }
        List<String> left = new ArrayList<>();
        if (names.isEmpty()) return new ArrayList<>(texts);
        List<JavaFileObject> units = new ArrayList<>();
        List<String> suffixes = new ArrayList<>();
        List<String> unitTexts = new ArrayList<>();
        String primary = names.iterator().next();
        for (int k = 0; k < texts.size(); k++) {
            String text = texts.get(k);
            String suffix = "__rc" + k + "__";
            if (text.contains("__rc")) {
                left.add(text);
                continue;
            }
            String uri = "mem:///" + (pkg.isEmpty() ? "" : pkg.replace('.', '/') + "/") + primary + suffix + ".java";
            units.add(new SourceText(URI.create(uri), renameIdentifiers(text, names, suffix)));
            suffixes.add(suffix);
            unitTexts.add(text);
        }
        if (units.isEmpty()) return left;
        Compilation c = compile(units, "", settings, inputsWithout(Set.of(path)));
        if (c.errors != null) {
            // javac writes no class once any unit has an error: the units without one go again, once.
            List<String> clean = new ArrayList<>();
            for (int k = 0; k < units.size(); k++) {
                (c.unitErrors.containsKey(units.get(k)) || !retry ? left : clean).add(unitTexts.get(k));
            }
            if (clean.size() > 1) {
                left.addAll(compileBatch(path, clean, settings, false));
            } else {
                left.addAll(clean);
            }
            return left;
        }
        Map<JavaFileObject, Map<String, byte[]>> made = new IdentityHashMap<>();
        for (Map.Entry<String, byte[]> e : c.classes.entrySet()) {
            made.computeIfAbsent(c.units.get(e.getKey()), k -> new HashMap<>()).put(e.getKey(), e.getValue());
        }
        for (int k = 0; k < units.size(); k++) {
            JavaFileObject unit = units.get(k);
            Map<String, byte[]> classes = made.get(unit);
            if (classes == null) {
                left.add(unitTexts.get(k));
                continue;
            }
            Map<String, String> back = new LinkedHashMap<>();
            for (String name : names) back.put(name + suffixes.get(k), name);
            Map<String, byte[]> renamed = new HashMap<>();
            Map<String, String> origins = new HashMap<>();
            for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                String name = e.getKey();
                for (Map.Entry<String, String> r : back.entrySet()) name = name.replace(r.getKey(), r.getValue());
                renamed.put(name, RepairClassFiles.rename(e.getValue(), back));
                origins.put(name, path);
            }
            if (!sameShapes(renamed, Set.of(path))) {
                left.add(unitTexts.get(k));  // alone, where a moved shape means compiling everything
                continue;
            }
            VARIANTS.put(variantKey(Map.of(path, unitTexts.get(k))),
                    new Variant(renamed, origins, Set.of(path), null, null, "batch"));
        }
        return left;
    }

    /**
     * `text` with every identifier in `names` followed by `suffix`, outside comments, strings and
     * character literals. An identifier that only looks like the class (a field of another class with the
     * same name) makes the unit fail to compile, and it is compiled alone.
     */
    static String renameIdentifiers(String text, Set<String> names, String suffix) {
        StringBuilder out = new StringBuilder(text.length() + 64);
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            int end = i + 1;
            if (c == '/' && i + 1 < n && text.charAt(i + 1) == '/') {
                end = text.indexOf('\n', i);
                end = end < 0 ? n : end;
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                end = text.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
            } else if (text.startsWith("\"\"\"", i)) {
                end = i + 3;
                while (end < n && !text.startsWith("\"\"\"", end)) end += text.charAt(end) == '\\' ? 2 : 1;
                end = Math.min(n, end + 3);
            } else if (c == '"' || c == '\'') {
                while (end < n && text.charAt(end) != c && text.charAt(end) != '\n') {
                    end += text.charAt(end) == '\\' ? 2 : 1;
                }
                end = Math.min(n, end + 1);
            } else if (Character.isJavaIdentifierStart(c)) {
                while (end < n && Character.isJavaIdentifierPart(text.charAt(end))) end++;
                String word = text.substring(i, end);
                out.append(word);
                if (names.contains(word)) out.append(suffix);
                i = end;
                continue;
            }
            out.append(text, i, end);
            i = end;
        }
        return out.toString();
    }

    // -- javac ------------------------------------------------------------------------------------------

    /** One javac task over `units`, with `inputs` (class files in memory) on its class path. */
    private static Compilation compile(List<JavaFileObject> units, String sourcepath, Settings settings,
                                       Map<String, byte[]> inputs) {
        Compilation c = new Compilation();
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        List<String> opts = new ArrayList<>(settings.options);
        opts.add("-proc:none");
        opts.add("-implicit:class");
        if (!sourcepath.isEmpty()) {
            opts.add("-sourcepath");
            opts.add(sourcepath);
        }
        opts.add("-cp");
        opts.add(settings.classpath);
        MemoryManager manager = new MemoryManager(standardManager, c, inputs);
        StringWriter compilerOut = new StringWriter();
        Boolean ok = COMPILER.getTask(compilerOut, manager, diags, opts, null, units).call();
        StringBuilder b = new StringBuilder(compilerOut.toString());
        for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) continue;
            String where = d.getSource() == null ? "" : d.getSource().getName() + ":" + d.getLineNumber() + ": ";
            String message = where + "error: " + d.getMessage(Locale.ROOT);
            b.append(message).append('\n');
            if (d.getSource() != null) c.unitErrors.computeIfAbsent(d.getSource(), k -> new ArrayList<>()).add(message);
        }
        if (!Boolean.TRUE.equals(ok)) c.errors = b.length() == 0 ? "compilation failed" : b.toString();
        return c;
    }

    /** A path as the worker compares paths: absolute, without `.` or `..` steps. */
    static String normalized(String path) {
        return Paths.get(path).toAbsolutePath().normalize().toString();
    }

    static List<String> normalized(List<String> paths) {
        List<String> out = new ArrayList<>();
        for (String p : paths) out.add(normalized(p));
        return out;
    }

    /** A source file's text, read again only when its time or size changed. */
    private static String readDisk(String path) throws IOException {
        Path p = Paths.get(path);
        long mtime = Files.getLastModifiedTime(p).toMillis();
        long size = Files.size(p);
        Object[] known = DISK.get(path);
        if (known != null && (Long) known[0] == mtime && (Long) known[1] == size) return (String) known[2];
        String text = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        DISK.put(path, new Object[] {mtime, size, text});
        return text;
    }

    private static String sha256(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            StringBuilder b = new StringBuilder();
            for (byte x : digest.digest(text.getBytes(StandardCharsets.UTF_8))) b.append(String.format("%02x", x));
            return b.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The classes one request runs: a base with a candidate's classes over it, or one plain set. */
    static final class ClassSet {
        final Map<String, byte[]> overlay;
        final Map<String, String> overlayOrigins;
        final Set<String> replaced;
        final Map<String, byte[]> below;
        final Map<String, String> belowOrigins;

        private ClassSet(Map<String, byte[]> overlay, Map<String, String> overlayOrigins, Set<String> replaced,
                         Map<String, byte[]> below, Map<String, String> belowOrigins) {
            this.overlay = overlay;
            this.overlayOrigins = overlayOrigins;
            this.replaced = replaced;
            this.below = below;
            this.belowOrigins = belowOrigins;
        }

        static ClassSet of(Compilation c) {
            return new ClassSet(c.classes, c.origins, Set.of(), Map.of(), Map.of());
        }

        static ClassSet of(Base b) {
            return new ClassSet(b.classes, b.origins, Set.of(), Map.of(), Map.of());
        }

        static ClassSet over(Base b, Variant v) {
            return new ClassSet(v.overlay, v.origins, v.replaced, b.classes, b.origins);
        }

        static ClassSet plain(Map<String, byte[]> classes) {
            return new ClassSet(classes, Map.of(), Set.of(), Map.of(), Map.of());
        }

        byte[] get(String name) {
            byte[] bytes = overlay.get(name);
            if (bytes != null) return bytes;
            String origin = belowOrigins.get(name);
            return origin == null || replaced.contains(origin) ? null : below.get(name);
        }

        String origin(String name) {
            String origin = overlayOrigins.get(name);
            return origin != null ? origin : belowOrigins.get(name);
        }
    }

    /** A source file's text held in memory (a candidate that is not on disk). */
    static final class SourceText extends SimpleJavaFileObject {
        private final String text;
        private final String path;

        SourceText(String path, String text) {
            super(new File(path).toURI(), Kind.SOURCE);
            this.text = text;
            this.path = path;
        }

        SourceText(URI uri, String text) {
            super(uri, Kind.SOURCE);
            this.text = text;
            this.path = uri.getPath();
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }

        @Override
        public boolean isNameCompatible(String simpleName, Kind kind) {
            return kind == Kind.SOURCE;  // a renamed candidate's public class need not match a file name
        }

        @Override
        public String getName() {
            return path;
        }
    }

    /** A class file held in memory, offered to javac as an input on the class path. */
    static final class ClassBytes extends SimpleJavaFileObject {
        final String binaryName;
        private final byte[] bytes;

        ClassBytes(String binaryName, byte[] bytes) {
            super(URI.create("mem:///" + binaryName.replace('.', '/') + ".class"), Kind.CLASS);
            this.binaryName = binaryName;
            this.bytes = bytes;
        }

        @Override
        public InputStream openInputStream() {
            return new ByteArrayInputStream(bytes);
        }
    }

    /**
     * Keeps every class file the compiler writes (keyed by binary name, with the source it came from), and
     * offers `inputs` (class files in memory) on the class path next to the real one.
     */
    static final class MemoryManager extends ForwardingJavaFileManager<JavaFileManager> {
        private final Compilation out;
        private final Map<String, List<JavaFileObject>> packages = new HashMap<>();

        MemoryManager(JavaFileManager fileManager, Compilation out, Map<String, byte[]> inputs) {
            super(fileManager);
            this.out = out;
            for (Map.Entry<String, byte[]> e : inputs.entrySet()) {
                int dot = e.getKey().lastIndexOf('.');
                String pkg = dot < 0 ? "" : e.getKey().substring(0, dot);
                packages.computeIfAbsent(pkg, k -> new ArrayList<>()).add(new ClassBytes(e.getKey(), e.getValue()));
            }
        }

        @Override
        public Iterable<JavaFileObject> list(Location location, String packageName, Set<JavaFileObject.Kind> kinds,
                                             boolean recurse) throws IOException {
            Iterable<JavaFileObject> listed = super.list(location, packageName, kinds, recurse);
            if (location != StandardLocation.CLASS_PATH || !kinds.contains(JavaFileObject.Kind.CLASS) || packages.isEmpty()) {
                return listed;
            }
            List<JavaFileObject> all = new ArrayList<>();
            for (Map.Entry<String, List<JavaFileObject>> e : packages.entrySet()) {
                String pkg = e.getKey();
                if (pkg.equals(packageName) || recurse && pkg.startsWith(packageName + ".")) all.addAll(e.getValue());
            }
            for (JavaFileObject f : listed) all.add(f);
            return all;
        }

        @Override
        public String inferBinaryName(Location location, JavaFileObject file) {
            if (file instanceof ClassBytes) return ((ClassBytes) file).binaryName;
            return super.inferBinaryName(location, file);
        }

        @Override
        public boolean isSameFile(FileObject a, FileObject b) {
            if (a instanceof ClassBytes || b instanceof ClassBytes || a instanceof SourceText || b instanceof SourceText) {
                return a == b;
            }
            return super.isSameFile(a, b);
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                                                   FileObject sibling) {
            if (sibling instanceof JavaFileObject) {
                out.units.put(className, (JavaFileObject) sibling);
                String origin = sibling instanceof SourceText ? ((SourceText) sibling).path
                        : normalized(sibling.toUri().getPath());
                out.origins.put(className, origin);
            }
            return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            out.classes.put(className, toByteArray());
                        }
                    };
                }
            };
        }
    }
}

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;

/**
 * A long-lived JVM that validates patch candidates: it compiles the sources in-process with
 * javax.tools.JavaCompiler (class files stay in memory), loads them in a fresh class loader per
 * candidate (so static state never leaks between candidates), and runs JUnit 4 test methods,
 * each on its own thread with a timeout.
 *
 * Two ways to use it. A small program (QuixBugs) sends all its sources each time and runs from
 * memory alone. A built project (Defects4J, Maven, Gradle) sends only the files a candidate
 * changed, compiled against the project's compiled classes, and a "runpath" (the test classpath:
 * class folders and jars); the fresh loader then takes the changed classes from memory and every
 * other project class from the runpath, child-first, so the build tool runs once, not per candidate.
 *
 * Protocol: one JSON request per line on stdin, flat string fields plus string arrays:
 *   {"sources": [...], "sourcepath": "...", "classpath": "...", "runpath": "...", "options": [...],
 *    "tests": ["pkg.Class::method" | "pkg.Class", ...], "timeout": "3.0", "failfast": "1"}
 * Replies, one JSON object per line on stdout: {"ready": true} at start; then per request
 * {"kind":"compile",...}, {"kind":"test",...} per test, and {"kind":"done",...}.
 * A test thread that cannot be stopped sets "stuck": true in "done"; the client then restarts us.
 */
public final class ValidationWorker {
    private static final PrintStream PROTOCOL = System.out;
    private static final JavaCompiler COMPILER = ToolProvider.getSystemJavaCompiler();
    private static StandardJavaFileManager standardManager;
    // The last compilation, reused when the next request compiles the same sources with the same text
    // (a validation compiles once and then runs the failing tests and the rest in two requests).
    private static String lastCompileKey = "";
    private static Map<String, byte[]> lastClasses = new HashMap<>();

    public static void main(String[] args) throws Exception {
        // Tests print; their output must never mix with the protocol.
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(sink);
        System.setErr(sink);
        if (COMPILER == null) {
            reply("{\"ready\":false,\"error\":\"no system Java compiler (a JRE, not a JDK)\"}");
            return;
        }
        standardManager = COMPILER.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
        reply("{\"ready\":true}");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            try {
                handle(line);
            } catch (Throwable t) {
                reply("{\"kind\":\"done\",\"error\":" + RepairJson.quote(String.valueOf(t)) + ",\"stuck\":false}");
            }
        }
        System.exit(0);
    }

    private static void handle(String request) {
        List<String> sources = array(request, "sources");
        List<String> tests = array(request, "tests");
        List<String> options = new ArrayList<>(array(request, "options"));
        String sourcepath = field(request, "sourcepath");
        String classpath = field(request, "classpath");
        String runpath = field(request, "runpath");
        double timeout = Double.parseDouble(field(request, "timeout"));
        boolean failFast = "1".equals(field(request, "failfast"));

        long t0 = System.nanoTime();
        Map<String, byte[]> classes = new HashMap<>();
        String errors = null;
        String key = compileKey(sources, sourcepath, classpath, options);
        if (key.equals(lastCompileKey)) {
            classes = lastClasses;
        } else if (!sources.isEmpty()) {
            errors = compile(sources, sourcepath, classpath, options, classes);
            lastCompileKey = errors == null ? key : "";
            lastClasses = classes;
        }
        long compileMs = (System.nanoTime() - t0) / 1_000_000;
        reply("{\"kind\":\"compile\",\"ok\":" + (errors == null) + ",\"output\":" + RepairJson.quote(errors == null ? "" : errors)
                + ",\"classes\":" + classes.size() + ",\"ms\":" + compileMs + "}");
        if (errors != null) {
            reply("{\"kind\":\"done\",\"compile_ms\":" + compileMs + ",\"test_ms\":0,\"stuck\":false}");
            return;
        }
        long t1 = System.nanoTime();
        ClassLoader parent = ValidationWorker.class.getClassLoader();
        CandidateLoader loader = new CandidateLoader(classes, urls(runpath), parent);
        boolean stuck = false;
        outer:
        for (String target : tests) {
            String cls = RepairJUnit.className(target);
            Class<?> testClass;
            try {
                testClass = Class.forName(cls, false, loader);
            } catch (Throwable t) {
                test(target, "error", "cannot load test class: " + t, RepairJson.trace(t), 0);
                if (failFast) break;
                continue;
            }
            for (String m : RepairJUnit.methods(testClass, RepairJUnit.methodName(target))) {
                String[] outcome = runOne(testClass, cls, m, timeout, loader);
                if ("stuck".equals(outcome[1])) stuck = true;
                if (failFast && !RepairJUnit.passed(outcome[0])) break outer;
                if (stuck) break outer;
            }
        }
        long testMs = (System.nanoTime() - t1) / 1_000_000;
        if (!stuck) {
            try {
                loader.close();
            } catch (java.io.IOException ignored) {
                // the jars are closed with the JVM at the latest
            }
        }
        reply("{\"kind\":\"done\",\"compile_ms\":" + compileMs + ",\"test_ms\":" + testMs + ",\"stuck\":" + stuck + "}");
    }

    /** Equal for two requests that would compile the same text the same way. */
    private static String compileKey(List<String> sources, String sourcepath, String classpath, List<String> options) {
        if (sources.isEmpty()) return "";
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((sourcepath + "\0" + classpath + "\0" + options).getBytes(StandardCharsets.UTF_8));
            for (String s : sources) {
                digest.update(s.getBytes(StandardCharsets.UTF_8));
                digest.update(Files.readAllBytes(new File(s).toPath()));
            }
            StringBuilder b = new StringBuilder();
            for (byte x : digest.digest()) b.append(String.format("%02x", x));
            return b.toString();
        } catch (Exception e) {
            return "";  // cannot read a source: compile, and let javac say why
        }
    }

    private static URL[] urls(String path) {
        List<URL> out = new ArrayList<>();
        for (String entry : path.split(File.pathSeparator)) {
            if (entry.isEmpty()) continue;
            try {
                out.add(new File(entry).toURI().toURL());
            } catch (MalformedURLException e) {
                // a classpath entry that is no path: the build tool would not find it either
            }
        }
        return out.toArray(new URL[0]);
    }

    /** Compile `sources` into memory; null on success, else the diagnostics. */
    private static String compile(List<String> sources, String sourcepath, String classpath, List<String> options,
                                  Map<String, byte[]> out) {
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        List<String> opts = new ArrayList<>(options);
        opts.add("-proc:none");
        opts.add("-implicit:class");
        if (!sourcepath.isEmpty()) { opts.add("-sourcepath"); opts.add(sourcepath); }
        opts.add("-cp"); opts.add(classpath);
        List<File> files = new ArrayList<>();
        for (String s : sources) files.add(new File(s));
        MemoryManager manager = new MemoryManager(standardManager, out);
        Iterable<? extends JavaFileObject> units = standardManager.getJavaFileObjectsFromFiles(files);
        StringWriter compilerOut = new StringWriter();
        Boolean ok = COMPILER.getTask(compilerOut, manager, diags, opts, null, units).call();
        if (Boolean.TRUE.equals(ok)) return null;
        StringBuilder b = new StringBuilder(compilerOut.toString());
        for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
            if (d.getKind() != Diagnostic.Kind.ERROR) continue;
            String where = d.getSource() == null ? "" : d.getSource().getName() + ":" + d.getLineNumber() + ": ";
            b.append(where).append("error: ").append(d.getMessage(Locale.ROOT)).append('\n');
        }
        return b.length() == 0 ? "compilation failed" : b.toString();
    }

    @SuppressWarnings({"deprecation", "removal"})
    private static String[] runOne(Class<?> testClass, String cls, String m, double timeout, ClassLoader loader) {
        String id = cls + "::" + m;
        AtomicReference<Object> box = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                box.set(new JUnitCore().run(Request.method(testClass, m)));
            } catch (Throwable e) {
                box.set(e);
            }
        }, "repair-test-" + m, 4L << 20);
        t.setDaemon(true);
        t.setContextClassLoader(loader);
        long start = System.nanoTime();
        t.start();
        try {
            t.join((long) (timeout * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        if (t.isAlive()) {
            // A JVM cannot kill a thread safely; Thread.stop (still there in Java 17) ends most loops.
            t.interrupt();
            try {
                t.stop();
            } catch (Throwable ignored) {
                // Java 20+ refuses: the client restarts the worker instead.
            }
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            test(id, "timeout", "test timed out after " + timeout + " seconds", "", timeout);
            return new String[] {"timeout", t.isAlive() ? "stuck" : ""};
        }
        Object value = box.get();
        if (value instanceof Throwable) {
            Throwable e = (Throwable) value;
            test(id, "error", String.valueOf(e), RepairJson.trace(e), secs);
            return new String[] {"error", ""};
        }
        String[] verdict = RepairJUnit.verdict((Result) value, cls, m);
        test(id, verdict[0], verdict[1], verdict[2], secs);
        return new String[] {verdict[0], ""};
    }

    /**
     * A candidate's classes from memory first; then, for a built project, its test classpath (the
     * runpath), child-first; the JDK and JUnit always from the worker (JUnit must be the worker's, or
     * its runners would not know the tests' base classes and annotations). A small program has an
     * empty runpath: everything it compiled is in memory.
     */
    static final class CandidateLoader extends URLClassLoader {
        private static final String[] SHARED = {
            "java.", "javax.", "jdk.", "sun.", "com.sun.", "org.w3c.", "org.xml.", "junit.", "org.junit.", "org.hamcrest.",
        };
        private final Map<String, byte[]> classes;

        CandidateLoader(Map<String, byte[]> classes, URL[] runpath, ClassLoader parent) {
            super(runpath, parent);
            this.classes = classes;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes = classes.get(name);
                    if (bytes != null) {
                        c = defineClass(name, bytes, 0, bytes.length);
                    } else if (!shared(name)) {
                        try {
                            c = findClass(name);
                        } catch (ClassNotFoundException e) {
                            c = null;
                        }
                    }
                }
                if (c == null) return super.loadClass(name, resolve);
                if (resolve) resolveClass(c);
                return c;
            }
        }

        @Override
        public URL findResource(String name) {
            URL onRunpath = super.findResource(name);
            if (onRunpath != null) return onRunpath;
            File f = new File(name);  // tests that name a data file by its path from the checkout
            try {
                return f.isFile() ? f.toURI().toURL() : null;
            } catch (MalformedURLException e) {
                return null;
            }
        }

        private static boolean shared(String name) {
            for (String prefix : SHARED) {
                if (name.startsWith(prefix)) return true;
            }
            return false;
        }
    }

    /** Keeps every class file the compiler writes in `out`, keyed by binary name. */
    static final class MemoryManager extends ForwardingJavaFileManager<JavaFileManager> {
        private final Map<String, byte[]> out;

        MemoryManager(JavaFileManager fileManager, Map<String, byte[]> out) {
            super(fileManager);
            this.out = out;
        }

        @Override
        public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
                                                   FileObject sibling) {
            return new SimpleJavaFileObject(URI.create("mem:///" + className.replace('.', '/') + kind.extension), kind) {
                @Override
                public OutputStream openOutputStream() {
                    return new ByteArrayOutputStream() {
                        @Override
                        public void close() {
                            out.put(className, toByteArray());
                        }
                    };
                }
            };
        }
    }

    // -- a minimal JSON reader for the flat request, and the writer -----------------------------

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        return m.find() ? unquote(m.group(1)) : "";
    }

    private static List<String> array(String json, String name) {
        List<String> items = new ArrayList<>();
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\\[(.*?)\\]").matcher(json);
        if (!m.find()) return items;
        Matcher s = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(m.group(1));
        while (s.find()) items.add(unquote(s.group(1)));
        return items;
    }

    private static String unquote(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) { b.append(c); continue; }
            char n = s.charAt(++i);
            switch (n) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'u': b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; break;
                default: b.append(n);
            }
        }
        return b.toString();
    }

    private static void test(String id, String status, String message, String trace, double secs) {
        reply("{\"kind\":\"test\"," + RepairJson.testFields(id, status, message, trace, secs) + "}");
    }

    private static synchronized void reply(String line) {
        PROTOCOL.println(line);
        PROTOCOL.flush();
    }
}

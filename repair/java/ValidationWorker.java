import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;

/**
 * A long-lived JVM that validates patch candidates: RepairCompiler compiles in-process (class files stay
 * in memory; a small program's sources once, then only what a candidate changes), each candidate's classes
 * load in a fresh class loader (so static state never leaks between candidates), and JUnit 4 test methods
 * run each on its own thread with a timeout.
 *
 * A small program (QuixBugs) runs from memory alone ("runpath" empty). A built project (Defects4J, Maven,
 * Gradle) sends only the files a candidate changed, compiled against the project's class folders, and a
 * "runpath" (the test classpath); the fresh loader then takes the changed classes from memory and every
 * other project class from the runpath, child-first, so the build tool runs once, not per candidate.
 *
 * With "coverage", classes compiled from the "cover" sources are instrumented by JaCoCo
 * (RepairWorkerCoverage, by reflection) and each test's covered lines follow its result.
 *
 * Protocol: one JSON object per line on stdin:
 *   {"sources": [abs paths], "patched": {abs path: text}, "sourcepath": "...", "classpath": "...",
 *    "runpath": "...", "options": [...], "tests": ["pkg.Class::method" | "pkg.Class", ...],
 *    "timeout": 3.0, "failfast": true, "coverage": false, "cover": [abs paths]}
 *   {"cmd": "precompile", <the same sources/classpath/options>, "variants": [{"path": abs, "text": ...}]}
 * Replies, one JSON object per line on stdout: {"ready": true} at start; per run request
 * {"kind":"compile",...}, {"kind":"test",...} per test (followed by {"kind":"coverage",...} when asked),
 * and {"kind":"done",...}; per precompile request one {"kind":"precompiled",...}.
 * A test thread that cannot be stopped sets "stuck": true in "done"; the client then restarts us.
 */
public final class ValidationWorker {
    private static final PrintStream PROTOCOL = System.out;
    private static Method coverInstrument;
    private static Method coverReset;
    private static Method coverCollect;

    public static void main(String[] args) throws Exception {
        // Tests print; their output must never mix with the protocol.
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(sink);
        System.setErr(sink);
        if (!RepairCompiler.available()) {
            reply("{\"ready\":false,\"error\":\"no system Java compiler (a JRE, not a JDK)\"}");
            return;
        }
        reply("{\"ready\":true}");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            try {
                Map<?, ?> request = (Map<?, ?>) RepairJsonReader.parse(line);
                if ("precompile".equals(RepairJsonReader.string(request, "cmd"))) {
                    long t0 = System.nanoTime();
                    int[] counts = RepairCompiler.precompile(request);
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    reply("{\"kind\":\"precompiled\",\"ok\":" + (counts != null) + ",\"batched\":"
                            + (counts == null ? 0 : counts[0]) + ",\"alone\":" + (counts == null ? 0 : counts[1])
                            + ",\"ms\":" + ms + "}");
                } else {
                    handle(request);
                }
            } catch (Throwable t) {
                reply("{\"kind\":\"done\",\"error\":" + RepairJson.quote(String.valueOf(t)) + ",\"stuck\":false}");
            }
        }
        System.exit(0);
    }

    // -- one run ---------------------------------------------------------------------------------------

    private static void handle(Map<?, ?> request) throws IOException {
        List<String> sources = RepairCompiler.normalized(RepairJsonReader.strings(request, "sources"));
        List<String> tests = RepairJsonReader.strings(request, "tests");
        Map<String, String> patched = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : RepairJsonReader.stringMap(request, "patched").entrySet()) {
            patched.put(RepairCompiler.normalized(e.getKey()), e.getValue());
        }
        RepairCompiler.Settings settings = new RepairCompiler.Settings(request);
        String runpath = RepairJsonReader.string(request, "runpath");
        double timeout = RepairJsonReader.number(request, "timeout", 10.0);
        boolean failFast = RepairJsonReader.flag(request, "failfast");
        boolean coverage = RepairJsonReader.flag(request, "coverage") && coverageAvailable();
        Set<String> cover = new HashSet<>(RepairCompiler.normalized(RepairJsonReader.strings(request, "cover")));

        long t0 = System.nanoTime();
        RepairCompiler.Outcome compiled = runpath.isEmpty() ? RepairCompiler.resolve(sources, patched, settings)
                : RepairCompiler.compileProject(sources, patched, settings);
        long compileMs = (System.nanoTime() - t0) / 1_000_000;
        reply("{\"kind\":\"compile\",\"ok\":" + (compiled.errors == null) + ",\"output\":"
                + RepairJson.quote(compiled.errors == null ? "" : compiled.errors) + ",\"how\":"
                + RepairJson.quote(compiled.how) + ",\"ms\":" + compileMs + "}");
        if (compiled.errors != null) {
            reply("{\"kind\":\"done\",\"compile_ms\":" + compileMs + ",\"test_ms\":0,\"stuck\":false}");
            return;
        }
        long t1 = System.nanoTime();
        ClassLoader parent = ValidationWorker.class.getClassLoader();
        CandidateLoader loader = new CandidateLoader(compiled.classes, urls(runpath), parent,
                coverage ? cover : null);
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
                if (coverage) invoke(coverReset);
                String[] outcome = runOne(testClass, cls, m, timeout, loader);
                if (coverage) {
                    Object files = invoke(coverCollect, loader.originals());
                    reply("{\"kind\":\"coverage\",\"test_id\":" + RepairJson.quote(cls + "::" + m) + ",\"files\":"
                            + files + "}");
                }
                if ("stuck".equals(outcome[1])) stuck = true;
                if (failFast && !RepairJUnit.passed(outcome[0])) break outer;
                if (stuck) break outer;
            }
        }
        long testMs = (System.nanoTime() - t1) / 1_000_000;
        if (!stuck) {
            try {
                loader.close();
            } catch (IOException ignored) {
                // the jars are closed with the JVM at the latest
            }
        }
        reply("{\"kind\":\"done\",\"compile_ms\":" + compileMs + ",\"test_ms\":" + testMs + ",\"stuck\":" + stuck
                + ",\"coverage\":" + coverage + "}");
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

    // -- coverage ---------------------------------------------------------------------------------------

    private static boolean coverageAvailable() {
        if (coverCollect != null) return true;
        try {
            Class<?> c = Class.forName("RepairWorkerCoverage");
            coverInstrument = c.getMethod("instrument", byte[].class, String.class);
            coverReset = c.getMethod("reset");
            coverCollect = c.getMethod("collect", Map.class);
            return true;
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }

    private static Object invoke(Method method, Object... args) {
        try {
            return method.invoke(null, args);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("coverage failed: " + e.getCause(), e);
        }
    }

    // -- tests ------------------------------------------------------------------------------------------

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
            String where = RepairJUnit.hungAt(t.getStackTrace());
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
            test(id, "timeout", "test timed out after " + timeout + " seconds", where, timeout);
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
     * runpath), child-first; the JDK, JUnit and JaCoCo's runtime always from the worker (JUnit must be
     * the worker's, or its runners would not know the tests' base classes and annotations). A small
     * program has an empty runpath: everything it compiled is in memory. With `cover`, classes compiled
     * from those sources are instrumented as they are defined.
     */
    static final class CandidateLoader extends URLClassLoader {
        private static final String[] SHARED = {
            "java.", "javax.", "jdk.", "sun.", "com.sun.", "org.w3c.", "org.xml.", "junit.", "org.junit.", "org.hamcrest.",
            "org.jacoco.agent.rt.",
        };
        private final RepairCompiler.ClassSet classes;
        private final Set<String> cover;
        private final Map<String, byte[]> originals = new HashMap<>();

        CandidateLoader(RepairCompiler.ClassSet classes, URL[] runpath, ClassLoader parent, Set<String> cover) {
            super(runpath, parent);
            this.classes = classes;
            this.cover = cover;
        }

        /** The uninstrumented class files of the classes instrumented so far (JaCoCo's analyzer reads them). */
        Map<String, byte[]> originals() {
            return originals;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes = classes.get(name);
                    if (bytes != null) {
                        if (cover != null && cover.contains(classes.origin(name))) {
                            originals.put(name, bytes);
                            bytes = (byte[]) invoke(coverInstrument, bytes, name);
                        }
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

    private static void test(String id, String status, String message, String trace, double secs) {
        reply("{\"kind\":\"test\"," + RepairJson.testFields(id, status, message, trace, secs) + "}");
    }

    private static synchronized void reply(String line) {
        PROTOCOL.println(line);
        PROTOCOL.flush();
    }
}

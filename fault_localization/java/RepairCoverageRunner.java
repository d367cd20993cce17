import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;

/**
 * Runs JUnit 4 test methods one at a time under the JaCoCo agent and, after each one, dumps and
 * resets the agent's execution data as a session named after the test, so that one exec file holds
 * per-test coverage. Results are written as JSON lines in RepairTestRunner's format.
 *
 * A test that outlives its timeout has its stack recorded (the trace of where it hangs) and is
 * stopped; if it cannot be stopped its thread would keep executing code and pollute the coverage
 * of the tests after it, so the runner exits with status 3 and the caller starts a fresh JVM for
 * the tests that have not reported.
 *
 * Usage: RepairCoverageRunner --out FILE --exec FILE --plan FILE [--timeout S] Class[::method] ...
 */
public final class RepairCoverageRunner {
    static final int EXIT_ABANDONED = 3;

    public static void main(String[] args) throws Exception {
        String out = null, exec = null, plan = null;
        double timeout = 10.0;
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out": out = args[++i]; break;
                case "--exec": exec = args[++i]; break;
                case "--plan": plan = args[++i]; break;
                case "--timeout": timeout = Double.parseDouble(args[++i]); break;
                default: targets.add(args[i]);
            }
        }
        if (out == null || exec == null || plan == null) {
            System.err.println("usage: RepairCoverageRunner --out FILE --exec FILE --plan FILE [--timeout S] Class[::method]...");
            System.exit(2);
        }
        Object agent = Class.forName("org.jacoco.agent.rt.RT").getMethod("getAgent").invoke(null);
        Class<?> agentApi = Class.forName("org.jacoco.agent.rt.IAgent");
        Method setSession = agentApi.getMethod("setSessionId", String.class);
        Method dump = agentApi.getMethod("getExecutionData", boolean.class);
        dump.invoke(agent, true);  // what ran before the first test belongs to no test

        List<Class<?>> classes = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try (PrintWriter w = writer(out, true); PrintWriter p = writer(plan, false)) {
            for (String target : targets) {
                String cls = RepairJUnit.className(target);
                Class<?> testClass;
                try {
                    testClass = Class.forName(cls, false, RepairCoverageRunner.class.getClassLoader());
                } catch (Throwable t) {
                    RepairJson.writeTest(w, target, "error", "cannot load test class: " + t, RepairJson.trace(t), 0);
                    continue;
                }
                for (String m : RepairJUnit.methods(testClass, RepairJUnit.methodName(target))) {
                    classes.add(testClass);
                    ids.add(cls + "::" + m);
                }
            }
            for (String id : ids) p.println(id);
            p.flush();
            try (OutputStream execOut = new FileOutputStream(exec, true)) {
                for (int i = 0; i < ids.size(); i++) {
                    String id = ids.get(i);
                    boolean abandoned = runOne(w, classes.get(i), id, id.substring(id.indexOf("::") + 2), timeout);
                    setSession.invoke(agent, id);
                    execOut.write((byte[]) dump.invoke(agent, true));
                    execOut.flush();
                    if (abandoned) System.exit(EXIT_ABANDONED);
                }
            }
        }
        System.exit(0);
    }

    /** Runs one test; true when its thread is still running (it could not be stopped). */
    private static boolean runOne(PrintWriter w, Class<?> testClass, String id, String m, double timeout)
            throws InterruptedException {
        final Result[] result = new Result[1];
        final Throwable[] crash = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                result[0] = new JUnitCore().run(Request.method(testClass, m));
            } catch (Throwable e) {
                crash[0] = e;
            }
        }, "repair-fl-" + m);
        t.setDaemon(true);
        long start = System.nanoTime();
        t.start();
        t.join((long) (timeout * 1000));
        double secs = (System.nanoTime() - start) / 1e9;
        if (t.isAlive()) {
            String where = RepairJUnit.hungAt(t.getStackTrace());
            stop(t);
            t.join(2000);
            RepairJson.writeTest(w, id, "timeout", "test timed out after " + timeout + " seconds", where, timeout);
            return t.isAlive();
        }
        Result r = result[0];
        if (r == null) {
            RepairJson.writeTest(w, id, "error", String.valueOf(crash[0]), crash[0] == null ? "" : RepairJson.trace(crash[0]), secs);
        } else {
            String[] verdict = RepairJUnit.verdict(r, RepairJUnit.className(id), m);
            RepairJson.writeTest(w, id, verdict[0], verdict[1], verdict[2], secs);
        }
        return false;
    }

    /** Thread.stop where the JDK still has it (up to 19); later JDKs throw and the thread is abandoned. */
    @SuppressWarnings({"deprecation", "removal"})
    private static void stop(Thread t) {
        t.interrupt();
        try {
            t.stop();
        } catch (Throwable ignored) {
            // UnsupportedOperationException on JDK 20+: the caller restarts the JVM instead.
        }
    }

    private static PrintWriter writer(String path, boolean append) throws Exception {
        return new PrintWriter(new OutputStreamWriter(new FileOutputStream(path, append), StandardCharsets.UTF_8), true);
    }
}

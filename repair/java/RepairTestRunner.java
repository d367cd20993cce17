import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;

/**
 * Runs JUnit 4 tests one method at a time, each on its own daemon thread with a
 * timeout, and writes one JSON object per test to the output file.
 *
 * A test that loops forever cannot be stopped in a JVM; its thread is abandoned
 * (it is a daemon) and reported as a timeout, and the run goes on.
 *
 * Usage: RepairTestRunner --out FILE [--timeout SECONDS] [--fail-fast] Class[::method] ...
 */
public final class RepairTestRunner {
    public static void main(String[] args) throws Exception {
        String out = null;
        double timeout = 10.0;
        boolean failFast = false;
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out": out = args[++i]; break;
                case "--timeout": timeout = Double.parseDouble(args[++i]); break;
                case "--fail-fast": failFast = true; break;
                default: targets.add(args[i]);
            }
        }
        if (out == null) {
            System.err.println("usage: RepairTestRunner --out FILE [--timeout S] [--fail-fast] Class[::method]...");
            System.exit(2);
        }
        try (PrintWriter w = new PrintWriter(new OutputStreamWriter(new FileOutputStream(out), StandardCharsets.UTF_8), true)) {
            outer:
            for (String target : targets) {
                String cls = RepairJUnit.className(target);
                Class<?> testClass;
                try {
                    testClass = Class.forName(cls, false, RepairTestRunner.class.getClassLoader());
                } catch (Throwable t) {
                    RepairJson.writeTest(w, target, "error", "cannot load test class: " + t, RepairJson.trace(t), 0);
                    if (failFast) break;
                    continue;
                }
                for (String m : RepairJUnit.methods(testClass, RepairJUnit.methodName(target))) {
                    String status = runOne(w, testClass, cls, m, timeout);
                    if (failFast && !RepairJUnit.passed(status)) break outer;
                }
            }
        }
        // Abandoned threads of timed-out tests must not keep the JVM alive.
        System.exit(0);
    }

    private static String runOne(PrintWriter w, Class<?> testClass, String cls, String m, double timeout) {
        String id = cls + "::" + m;
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "repair-test-" + m);
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        Future<Result> f = ex.submit(() -> new JUnitCore().run(Request.method(testClass, m)));
        try {
            Result r = f.get((long) (timeout * 1000), TimeUnit.MILLISECONDS);
            double secs = (System.nanoTime() - start) / 1e9;
            String[] verdict = RepairJUnit.verdict(r, cls, m);
            RepairJson.writeTest(w, id, verdict[0], verdict[1], verdict[2], secs);
            return verdict[0];
        } catch (TimeoutException e) {
            f.cancel(true);
            RepairJson.writeTest(w, id, "timeout", "test timed out after " + timeout + " seconds", "", timeout);
            return "timeout";
        } catch (Throwable t) {
            RepairJson.writeTest(w, id, "error", String.valueOf(t), RepairJson.trace(t), (System.nanoTime() - start) / 1e9);
            return "error";
        } finally {
            ex.shutdownNow();
        }
    }
}

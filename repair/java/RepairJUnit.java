import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

import org.junit.runner.Description;
import org.junit.runner.Request;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;

/**
 * JUnit 4 the way RepairTestRunner, ValidationWorker and RepairCoverageRunner use it, one test method at a
 * time: which methods a `Class[::method]` target names, and the verdict of one method's run.
 *
 * Compiled next to each of those programs (they are in the default package, so this class is too).
 */
public final class RepairJUnit {
    private RepairJUnit() {
    }

    /** The class of a `Class[::method]` target. */
    static String className(String target) {
        int sep = target.indexOf("::");
        return sep >= 0 ? target.substring(0, sep) : target;
    }

    /** The method of a `Class::method` target; null when the target is a whole class. */
    static String methodName(String target) {
        int sep = target.indexOf("::");
        return sep >= 0 ? target.substring(sep + 2) : null;
    }

    /** The test methods `method` names in `testClass`: that one, or (null) every test method JUnit finds. */
    static List<String> methods(Class<?> testClass, String method) {
        List<String> methods = new ArrayList<>();
        if (method != null) {
            methods.add(method);
            return methods;
        }
        if (Modifier.isAbstract(testClass.getModifiers())) return methods;  // JUnit cannot run it
        leaves(Request.aClass(testClass).getRunner().getDescription(), testClass.getName(), methods);
        return methods;
    }

    /**
     * The methods of `cls` under `d`, at any depth (a JUnit 3 suite() nests a TestSuite); a class JUnit cannot
     * run ("initializationError": no test methods) has none, and the tests a suite() takes from other classes
     * are left to those classes' own targets.
     */
    private static void leaves(Description d, String cls, List<String> out) {
        if (d.getMethodName() != null) {
            if (cls.equals(d.getClassName()) && !d.getMethodName().equals("initializationError")
                    && !out.contains(d.getMethodName())) {
                out.add(d.getMethodName());
            }
            return;
        }
        for (Description child : d.getChildren()) leaves(child, cls, out);
    }

    /**
     * The verdict of JUnit's run of the one method `m` of `cls`: {status, message, trace}, the status one of
     * those repair.runners.report reads (pass, skip, fail, error, timeout).
     */
    static String[] verdict(Result r, String cls, String m) {
        if (r.getRunCount() == 0 && r.getIgnoreCount() > 0) {
            return new String[] {"skip", "", ""};
        }
        String missing = "no test method " + m + " in " + cls;
        if (r.getFailureCount() == 0) {
            return r.getRunCount() == 0 ? new String[] {"error", missing, ""} : new String[] {"pass", "", ""};
        }
        Failure fail = r.getFailures().get(0);
        if (fail.getDescription().getMethodName() == null && fail.getMessage() != null
                && fail.getMessage().startsWith("No tests found matching Method")) {
            return new String[] {"error", missing, ""};
        }
        Throwable e = fail.getException();
        String status = (e instanceof AssertionError) ? "fail" : "error";
        if (e != null && e.getClass().getName().equals("org.junit.runners.model.TestTimedOutException")) {
            status = "timeout";
        }
        return new String[] {status, String.valueOf(e), fail.getTrace()};
    }

    /** Where a test that timed out was stopped, as a trace that stack-trace readers understand. */
    static String hungAt(StackTraceElement[] stack) {
        StringBuilder b = new StringBuilder("java.lang.Exception: test timed out here\n");
        for (StackTraceElement e : stack) b.append("\tat ").append(e).append('\n');
        return b.toString();
    }

    /** Whether a fail-fast run goes on after a test with this status. */
    static boolean passed(String status) {
        return status.equals("pass") || status.equals("skip");
    }
}

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;

/**
 * The JSON that RepairTestRunner, ValidationWorker and RepairCoverageRunner write: quoted strings
 * and one line per test result, in the format repair.runners.report reads
 * ({"test_id", "status", "message", "trace", "seconds"}).
 *
 * Compiled next to each of those programs (they are in the default package, so this class is too).
 */
public final class RepairJson {
    /** Longest message or trace kept in a result line; the rest is cut with a note. */
    static final int MAX_TEXT = 8000;

    private RepairJson() {
    }

    /** The fields of one test result, without the braces, so a caller can add fields of its own. */
    static String testFields(String id, String status, String message, String trace, double secs) {
        return "\"test_id\":" + quote(id) + ",\"status\":" + quote(status) + ",\"message\":" + quote(cut(message))
                + ",\"trace\":" + quote(cut(trace)) + ",\"seconds\":" + String.format(Locale.ROOT, "%.4f", secs);
    }

    /** Writes one test result as a JSON line. */
    static void writeTest(PrintWriter w, String id, String status, String message, String trace, double secs) {
        w.println("{" + testFields(id, status, message, trace, secs) + "}");
    }

    /** The stack trace of `t`, as printStackTrace prints it. */
    static String trace(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return sw.toString();
    }

    /** `s` (empty for null) cut to MAX_TEXT characters: a huge trace must not swamp the result file. */
    static String cut(String s) {
        if (s == null) return "";
        return s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) + "\n[... truncated ...]" : s;
    }

    /** `s` as a JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }
}

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.jacoco.cli.internal.core.analysis.Analyzer;
import org.jacoco.cli.internal.core.analysis.CoverageBuilder;
import org.jacoco.cli.internal.core.analysis.IClassCoverage;
import org.jacoco.cli.internal.core.analysis.ICounter;
import org.jacoco.cli.internal.core.data.ExecutionData;
import org.jacoco.cli.internal.core.data.ExecutionDataReader;
import org.jacoco.cli.internal.core.data.ExecutionDataStore;

/**
 * Reads an exec file holding one session per test (RepairCoverageRunner's output) and writes, per
 * test, the source lines it covered: {"test_id": ..., "files": {"pkg/File.java": [lines]}}.
 * Uses org.jacoco.core as shaded into the org.jacoco.cli nodeps jar.
 *
 * Usage: RepairCoverageAnalyzer --exec FILE --classes DIR [--classes DIR ...] --out FILE
 */
public final class RepairCoverageAnalyzer {
    public static void main(String[] args) throws Exception {
        String exec = null, out = null;
        List<String> classes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--exec": exec = args[++i]; break;
                case "--classes": classes.add(args[++i]); break;
                case "--out": out = args[++i]; break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Map<String, ExecutionDataStore> sessions = new LinkedHashMap<>();
        try (InputStream in = new FileInputStream(exec)) {
            ExecutionDataReader reader = new ExecutionDataReader(in);
            final String[] current = {""};
            reader.setSessionInfoVisitor(info -> {
                current[0] = info.getId();
                sessions.computeIfAbsent(current[0], k -> new ExecutionDataStore());
            });
            reader.setExecutionDataVisitor(data -> sessions.computeIfAbsent(current[0], k -> new ExecutionDataStore()).put(data));
            reader.read();
        }
        // Class files are read once; each session analyzes only the classes it executed (a test touches
        // a few of a project's classes, and analyzing all of them per test dominated the run).
        Map<String, byte[]> classBytes = new HashMap<>();
        for (String dir : classes) {
            Path root = Paths.get(dir);
            if (!Files.isDirectory(root)) continue;
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String rel = root.relativize(f).toString().replace(File.separatorChar, '/');
                    if (rel.endsWith(".class")) {
                        classBytes.putIfAbsent(rel.substring(0, rel.length() - ".class".length()), Files.readAllBytes(f));
                    }
                }
            }
        }
        try (PrintWriter w = new PrintWriter(new OutputStreamWriter(new FileOutputStream(out), StandardCharsets.UTF_8))) {
            for (Map.Entry<String, ExecutionDataStore> session : sessions.entrySet()) {
                CoverageBuilder builder = new CoverageBuilder();
                Analyzer analyzer = new Analyzer(session.getValue(), builder);
                for (ExecutionData data : session.getValue().getContents()) {
                    byte[] bytes = classBytes.get(data.getName());
                    if (bytes != null && data.hasHits()) analyzer.analyzeClass(bytes, data.getName());
                }
                w.println("{\"test_id\":" + RepairJson.quote(session.getKey()) + ",\"files\":" + coveredLines(builder) + "}");
            }
        }
    }

    /** The lines an analysis found run (fully or partly), as a JSON object {"pkg/File.java": [lines]}. */
    static String coveredLines(CoverageBuilder builder) {
        Map<String, TreeSet<Integer>> files = new TreeMap<>();
        for (IClassCoverage cc : builder.getClasses()) {
            if (cc.getSourceFileName() == null || cc.getFirstLine() < 0) continue;
            String pkg = cc.getPackageName();
            String file = pkg.isEmpty() ? cc.getSourceFileName() : pkg + "/" + cc.getSourceFileName();
            for (int line = cc.getFirstLine(); line <= cc.getLastLine(); line++) {
                int status = cc.getLine(line).getStatus();
                if (status == ICounter.FULLY_COVERED || status == ICounter.PARTLY_COVERED) {
                    files.computeIfAbsent(file, k -> new TreeSet<>()).add(line);
                }
            }
        }
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, TreeSet<Integer>> f : files.entrySet()) {
            parts.add(RepairJson.quote(f.getKey()) + ":" + f.getValue().toString().replace(" ", ""));
        }
        return "{" + String.join(",", parts) + "}";
    }
}

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

import org.jacoco.agent.rt.IAgent;
import org.jacoco.agent.rt.RT;
import org.jacoco.cli.internal.core.analysis.Analyzer;
import org.jacoco.cli.internal.core.analysis.CoverageBuilder;
import org.jacoco.cli.internal.core.data.ExecutionData;
import org.jacoco.cli.internal.core.data.ExecutionDataReader;
import org.jacoco.cli.internal.core.data.ExecutionDataStore;
import org.jacoco.cli.internal.core.instr.Instrumenter;
import org.jacoco.cli.internal.core.runtime.OfflineInstrumentationAccessGenerator;

/**
 * Per-test line coverage inside ValidationWorker, with JaCoCo's own parts: classes are instrumented as
 * they are defined (offline instrumentation, so a class of any class loader reports to the one JaCoCo
 * runtime of the worker), and after each test the runtime's execution data is read, reset, and
 * analyzed against the original class files, as RepairCoverageAnalyzer does for a whole run.
 *
 * The lines are read as RepairCoverageAnalyzer (fault_localization/java, compiled with this class) reads them.
 * ValidationWorker calls it by reflection, so that the worker runs without the JaCoCo jars (then
 * coverage is simply not offered). Needs org.jacoco.cli (nodeps) and org.jacoco.agent (runtime).
 */
public final class RepairWorkerCoverage {
    private static Instrumenter instrumenter;

    private RepairWorkerCoverage() {
    }

    /** The instrumented class file of `original`, which the worker defines instead. */
    public static synchronized byte[] instrument(byte[] original, String binaryName) throws IOException {
        if (instrumenter == null) {
            // The runtime starts on the first instrumented class; it must neither write a file nor open a port.
            System.setProperty("jacoco-agent.output", "none");
            System.setProperty("jacoco-agent.dumponexit", "false");
            System.setProperty("jacoco-agent.jmx", "false");
            instrumenter = new Instrumenter(new OfflineInstrumentationAccessGenerator());
        }
        return instrumenter.instrument(original, binaryName);
    }

    /** JaCoCo's runtime, or null before any instrumented code ran (it starts on the first probe, not on the
     * first instrumented class: a class can be defined, e.g. while a test class is verified, and not run). */
    private static IAgent agent() {
        if (instrumenter == null) return null;
        try {
            return RT.getAgent();
        } catch (IllegalStateException notStarted) {
            return null;
        }
    }

    /** Forget what ran so far (before a test). */
    public static void reset() {
        IAgent agent = agent();
        if (agent != null) agent.reset();
    }

    /** The lines the code ran since the last reset, as a JSON object {"pkg/File.java": [lines]}; resets. */
    public static String collect(Map<String, byte[]> originals) throws IOException {
        IAgent agent = agent();
        if (agent == null) return "{}";
        byte[] exec = agent.getExecutionData(true);
        ExecutionDataStore store = new ExecutionDataStore();
        ExecutionDataReader reader = new ExecutionDataReader(new ByteArrayInputStream(exec));
        reader.setSessionInfoVisitor(info -> { });
        reader.setExecutionDataVisitor(store::put);
        reader.read();
        CoverageBuilder builder = new CoverageBuilder();
        Analyzer analyzer = new Analyzer(store, builder);
        for (ExecutionData data : store.getContents()) {
            byte[] bytes = originals.get(data.getName().replace('/', '.'));
            if (bytes != null && data.hasHits()) analyzer.analyzeClass(bytes, data.getName());
        }
        return RepairCoverageAnalyzer.coveredLines(builder);
    }
}

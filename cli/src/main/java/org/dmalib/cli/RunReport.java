package org.dmalib.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.dmalib.examples.IommuMode;
import org.dmalib.examples.ScenarioResult;
import org.dmalib.hw.Coherency;

/**
 * Prints a {@link ScenarioResult} of {@code dmalib run}: a few labelled lines, or one JSON
 * object.
 *
 * <p>Stateless; thread-safe.
 */
final class RunReport {
    // 100: a rate as a percentage
    private static final double PERCENT = 100.0;

    private RunReport() {}

    /** Prints the result as labelled lines. */
    static void text(PrintWriter out, ScenarioResult r) {
        boolean nic = r.driver().equals("nic");
        IommuMode mode = r.config().mode();
        boolean one = r.operations() == 1;
        out.printf(Locale.ROOT, "%s: %d %s, %s, %s, seed %d%n", r.driver(), r.operations(),
                nic ? (one ? "packet each way" : "packets each way")
                        : (one ? "scatter-gather request" : "scatter-gather requests"),
                mode == IommuMode.DIRECT ? "direct (no IOMMU)"
                        : "behind an SMMUv3 (" + name(mode) + " unmaps)",
                r.config().coherency() == Coherency.COHERENT ? "coherent" : "non-coherent",
                r.config().seed());
        out.printf(Locale.ROOT,
                "throughput     %.0f %s/s, %.1f MB/s (wall %.1f ms, after a warm-up)%n",
                r.operationsPerSecond(), nic ? "packets" : "requests", r.megabytesPerSecond(),
                r.wallNanos() / 1e6);
        if (mode == IommuMode.DIRECT) {
            out.println("IOTLB          none (direct path)");
            out.println("invalidations  none (direct path)");
        } else {
            out.printf(Locale.ROOT, "IOTLB          %d translations, hit rate %.1f%% (%d misses, "
                            + "%d walks)%n", r.smmu().translations(), r.iotlbHitRate() * PERCENT,
                    r.iotlbMisses(), r.smmu().walks());
            out.printf(Locale.ROOT, "invalidations  %d TLBI (%d ASID-wide), %d CMD_SYNC, %d lazy "
                            + "flushes%n", r.tlbiCommands(), r.commands().tlbiNhAsid(), r.cmdSyncs(),
                    r.lazyFlushes());
        }
        out.printf(Locale.ROOT, "cache          %d lines cleaned, %d invalidated, "
                        + "%d clean+invalidated, %d barriers%n", r.hw().linesCleaned(), r.hw().linesInvalidated(),
                r.hw().linesCleanInvalidated(), r.hw().barriers());
        out.printf(Locale.ROOT, "data errors    %d (device errors %d, SMMU faults %d, mappings "
                        + "pending after teardown %d)%n", r.dataErrors(), r.deviceErrors(),
                r.smmu().faults(), r.pendingMappings());
        out.printf(Locale.ROOT, "debug reports  %d%s%n", r.debugReportCount(),
                r.debugReports().isEmpty() ? " (the DMA-API debug checks found no misuse)"
                        : " (first: " + r.debugReports().get(0).message() + ")");
    }

    /** Returns the result as one JSON object (field names as in {@code dmalib run --help}). */
    static String json(ScenarioResult r) {
        return String.format(Locale.ROOT, "{\"driver\":\"%s\",\"mode\":\"%s\",\"coherent\":%b,"
                        + "\"operations\":%d,\"bytes\":%d,\"wallNanos\":%d,\"opsPerSecond\":%.1f,"
                        + "\"megabytesPerSecond\":%.3f,\"translations\":%d,\"iotlbHits\":%d,"
                        + "\"iotlbMisses\":%d,\"iotlbHitRate\":%.4f,\"walks\":%d,\"tlbiCommands\":%d,"
                        + "\"asidInvalidations\":%d,\"cmdSyncs\":%d,\"lazyFlushes\":%d,"
                        + "\"linesCleaned\":%d,\"linesInvalidated\":%d,\"linesCleanInvalidated\":%d,"
                        + "\"barriers\":%d,\"smmuFaults\":%d,\"deviceErrors\":%d,\"dataErrors\":%d,"
                        + "\"pendingMappings\":%d,\"debugReports\":%d}",
                r.driver(), name(r.config().mode()), r.config().coherency() == Coherency.COHERENT,
                r.operations(), r.bytes(), r.wallNanos(), r.operationsPerSecond(),
                r.megabytesPerSecond(), r.smmu().translations(), r.iotlbHits(), r.iotlbMisses(),
                r.iotlbHitRate(), r.smmu().walks(), r.tlbiCommands(), r.commands().tlbiNhAsid(),
                r.cmdSyncs(), r.lazyFlushes(), r.hw().linesCleaned(), r.hw().linesInvalidated(),
                r.hw().linesCleanInvalidated(), r.hw().barriers(), r.smmu().faults(),
                r.deviceErrors(), r.dataErrors(), r.pendingMappings(), r.debugReportCount());
    }

    private static String name(IommuMode mode) {
        return mode.name().toLowerCase(Locale.ROOT);
    }
}

package org.dmalib.examples;

import java.util.List;
import java.util.Objects;
import org.dmalib.dma.ops.DmaDebugReport;
import org.dmalib.dma.ops.LazyFlushCounters;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.iommu.smmu.SmmuDriverCounters;

/**
 * What one ring-driver scenario run counted. Counters cover the operations only: after the
 * driver started, before it stopped (set-up and teardown are not in them); {@code
 * pendingMappings} and {@code iovaRangesOutstanding} are read after the teardown.
 *
 * <p>Immutable and thread-safe.
 *
 * @param driver {@code "nic"} or {@code "block"}
 * @param config what ran
 * @param operations NIC packets in each direction, or block requests, that were offered
 * @param bytes payload bytes offered (NIC: both directions; block: reads and writes)
 * @param dataErrors operations whose payload did not arrive intact (lost or wrong)
 * @param deviceErrors descriptors the device completed with its error bit (a DMA abort)
 * @param hw the machine's counters: cache maintenance ({@code linesCleaned},
 *     {@code linesInvalidated}, {@code barriers}), DMA bytes and aborts
 * @param smmu what the SMMU executed and translated (zero on the direct path)
 * @param commands what the SMMU driver submitted (zero on the direct path)
 * @param lazy the DMA domain's flush queue (zero unless lazy)
 * @param pendingMappings mappings and coherent allocations still live after the teardown
 * @param iovaRangesOutstanding IOVA ranges still allocated after the teardown (0 direct)
 * @param wallNanos wall time of the operations on this JVM
 * @param debugReports what the device's DMA-API debug checks reported (none for a correct
 *     driver; a THROW-mode run ends at the first, with an exception instead of a result); the
 *     device keeps the first 1024
 * @param debugReportCount how many reports the device raised, kept or not
 */
public record ScenarioResult(String driver, ScenarioConfig config, long operations, long bytes,
        long dataErrors, long deviceErrors, HwCounters hw, SmmuCounters smmu,
        SmmuDriverCounters commands, LazyFlushCounters lazy, int pendingMappings,
        long iovaRangesOutstanding, long wallNanos, List<DmaDebugReport> debugReports,
        long debugReportCount) {

    /**
     * Copies the reports.
     *
     * @param driver {@code "nic"} or {@code "block"}
     * @param config what ran
     * @param operations NIC packets in each direction, or block requests, that were offered
     * @param bytes payload bytes offered
     * @param dataErrors operations whose payload did not arrive intact
     * @param deviceErrors descriptors the device completed with its error bit
     * @param hw the machine's counters over the operations
     * @param smmu what the SMMU executed and translated (zero on the direct path)
     * @param commands what the SMMU driver submitted (zero on the direct path)
     * @param lazy the DMA domain's flush queue counters (zero unless lazy)
     * @param pendingMappings mappings and coherent allocations still live after the teardown
     * @param iovaRangesOutstanding IOVA ranges still allocated after the teardown
     * @param wallNanos wall time of the operations, in nanoseconds
     * @param debugReports the debug reports the device kept, in order; not null, no null element
     * @param debugReportCount how many reports the device raised, kept or not
     * @throws NullPointerException naming it if {@code driver}, {@code config} or a counters
     *     record is null; if {@code debugReports} is null or holds a null
     */
    public ScenarioResult {
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(hw, "hw");
        Objects.requireNonNull(smmu, "smmu");
        Objects.requireNonNull(commands, "commands");
        Objects.requireNonNull(lazy, "lazy");
        debugReports = List.copyOf(debugReports);
    }

    /** {@return the TLBI commands the SMMU driver submitted: by VA, ASID-wide and ALL} */
    public long tlbiCommands() {
        return commands.tlbiNhVa() + commands.tlbiNhAsid() + commands.tlbiNhAll();
    }

    /** {@return the CMD_SYNCs the SMMU driver submitted} */
    public long cmdSyncs() {
        return commands.cmdSyncs();
    }

    /** {@return translations served by the micro-TLB or the main TLB (no walk)} */
    public long iotlbHits() {
        return smmu.microTlbHits() + smmu.mainTlbHits();
    }

    /** {@return translations that missed both TLBs} */
    public long iotlbMisses() {
        return smmu.translations() - iotlbHits();
    }

    /** {@return the IOTLB hit rate from 0 to 1, or 0 when nothing was translated} */
    public double iotlbHitRate() {
        return smmu.translations() == 0 ? 0 : (double) iotlbHits() / smmu.translations();
    }

    /** {@return the whole-domain IOTLB flushes of the lazy flush queue} */
    public long lazyFlushes() {
        return lazy.flushesStarted();
    }

    /** {@return operations per second of wall time (0 if no time was measured)} */
    public double operationsPerSecond() {
        // 1e9: nanoseconds per second
        return wallNanos == 0 ? 0 : operations * 1e9 / wallNanos;
    }

    /** {@return payload megabytes (10^6 bytes) per second of wall time (0 if none measured)} */
    public double megabytesPerSecond() {
        // 1e3 = 1e9 ns per s / 1e6 bytes per MB
        return wallNanos == 0 ? 0 : bytes * 1e3 / wallNanos;
    }
}

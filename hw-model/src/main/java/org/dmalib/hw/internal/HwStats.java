package org.dmalib.hw.internal;

import java.util.concurrent.atomic.LongAdder;
import org.dmalib.hw.HwCounters;

/**
 * The machine's live counters.
 *
 * <p>Thread-safety: the cache and maintenance counters, and the bytes coherent masters move,
 * are counted only inside the {@link CoherenceFabric}'s transactions, so they are plain fields
 * guarded by the fabric's monitor (read through {@link CoherenceFabric#counters()}); the rest is
 * counted by the stream ports outside it, so those are {@link LongAdder}s that several masters
 * can count into without contending. A DMA byte count is the sum of its two parts.
 */
public final class HwStats {
    // guarded by the fabric's monitor
    long cacheHits;
    long cacheMisses;
    long writebacks;
    long linesCleaned;
    long linesInvalidated;
    long linesCleanInvalidated;
    long barriers;
    long coherentBytesRead;
    long coherentBytesWritten;

    // by non-coherent masters, which move data without the fabric
    final LongAdder dmaBytesRead = new LongAdder();
    final LongAdder dmaBytesWritten = new LongAdder();
    final LongAdder dmaAborts = new LongAdder();

    /** Creates zeroed counters. */
    public HwStats() {}

    /**
     * Returns a snapshot; the caller holds the fabric's monitor, so the cache and maintenance
     * counts are consistent with each other, while the DMA counts are read one after another.
     */
    HwCounters snapshot() {
        return new HwCounters(cacheHits, cacheMisses, writebacks,
                linesCleaned, linesInvalidated, linesCleanInvalidated,
                barriers, coherentBytesRead + dmaBytesRead.sum(),
                coherentBytesWritten + dmaBytesWritten.sum(), dmaAborts.sum());
    }
}

package org.dmalib.hw.internal;

import java.util.concurrent.atomic.LongAdder;
import org.dmalib.hw.HwCounters;

/**
 * The machine's live counters.
 *
 * <p>Thread-safety: the cache and maintenance counters are counted only inside the
 * {@link CoherenceFabric}'s transactions, so they are plain fields guarded by the fabric's
 * monitor (read through {@link CoherenceFabric#counters()}); the DMA counters are counted by the
 * stream ports outside it, so they are {@link LongAdder}s that several masters can count into
 * without contending.
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
                barriers, dmaBytesRead.sum(), dmaBytesWritten.sum(), dmaAborts.sum());
    }
}

package org.dmalib.hw.internal;

import java.util.concurrent.atomic.LongAdder;
import org.dmalib.hw.HwCounters;

/**
 * The machine's live counters. Thread-safe: every field is a {@link LongAdder}, so counting from
 * several CPUs and DMA masters does not contend.
 */
public final class HwStats {
    final LongAdder cacheHits = new LongAdder();
    final LongAdder cacheMisses = new LongAdder();
    final LongAdder writebacks = new LongAdder();
    final LongAdder linesCleaned = new LongAdder();
    final LongAdder linesInvalidated = new LongAdder();
    final LongAdder linesCleanInvalidated = new LongAdder();
    final LongAdder barriers = new LongAdder();
    final LongAdder dmaBytesRead = new LongAdder();
    final LongAdder dmaBytesWritten = new LongAdder();
    final LongAdder dmaAborts = new LongAdder();

    /** Creates zeroed counters. */
    public HwStats() {}

    /** Returns a snapshot; fields are read one after another, not atomically as a whole. */
    public HwCounters snapshot() {
        return new HwCounters(cacheHits.sum(), cacheMisses.sum(), writebacks.sum(),
                linesCleaned.sum(), linesInvalidated.sum(), linesCleanInvalidated.sum(),
                barriers.sum(), dmaBytesRead.sum(), dmaBytesWritten.sum(), dmaAborts.sum());
    }
}

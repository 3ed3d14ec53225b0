package org.dmalib.dma.ops;

/**
 * The counters of an {@link IommuDmaDomain}'s flush queue since its creation. Immutable and
 * thread-safe.
 *
 * @param flushesStarted whole-domain IOTLB flushes begun
 * @param flushesFinished flushes finished
 * @param queued IOVA ranges queued by lazy unmaps
 * @param freed queued ranges freed to the IOVA allocator after a flush
 * @param fullFlushes flushes forced by a full per-CPU ring
 * @param timerFlushes flushes run by the 10 ms timeout
 */
public record LazyFlushCounters(long flushesStarted, long flushesFinished, long queued,
        long freed, long fullFlushes, long timerFlushes) {

    /** Every count zero: what an unused flush queue reports, and any {@code x.minus(x)}. */
    public static final LazyFlushCounters ZERO = new LazyFlushCounters(0, 0, 0, 0, 0, 0);

    /**
     * Returns the counts between {@code earlier} and this snapshot.
     *
     * @param earlier an earlier snapshot of the same flush queue
     * @return this minus {@code earlier}, field by field
     */
    public LazyFlushCounters minus(LazyFlushCounters earlier) {
        return new LazyFlushCounters(flushesStarted - earlier.flushesStarted,
                flushesFinished - earlier.flushesFinished, queued - earlier.queued,
                freed - earlier.freed, fullFlushes - earlier.fullFlushes,
                timerFlushes - earlier.timerFlushes);
    }
}

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
        long freed, long fullFlushes, long timerFlushes) {}

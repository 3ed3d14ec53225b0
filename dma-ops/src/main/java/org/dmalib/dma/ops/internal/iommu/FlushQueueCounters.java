package org.dmalib.dma.ops.internal.iommu;

/**
 * A flush queue's counters since creation. Immutable and thread-safe.
 *
 * @param flushesStarted whole-domain IOTLB flushes begun ({@code fq_flush_start_cnt})
 * @param flushesFinished flushes finished ({@code fq_flush_finish_cnt})
 * @param queued ranges queued by unmaps
 * @param freed ranges freed to the IOVA allocator after a flush
 * @param fullFlushes flushes forced by a full ring
 * @param timerFlushes flushes run by the timeout
 */
public record FlushQueueCounters(long flushesStarted, long flushesFinished, long queued, long freed,
        long fullFlushes, long timerFlushes) {}

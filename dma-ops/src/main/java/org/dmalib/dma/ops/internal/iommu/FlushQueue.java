package org.dmalib.dma.ops.internal.iommu;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.dmalib.dma.ops.internal.iova.IovaDomain;
import org.dmalib.iommu.api.DomainFreedException;
import org.dmalib.iommu.api.spi.GatheringDomain;

/**
 * The lazy-mode flush queue of one domain (dma-iommu's {@code iova_fq}, reference §2.11): unmapped
 * IOVA ranges wait in a per-CPU ring of {@link #FQ_SIZE} slots (at most {@link #FQ_CAPACITY}
 * entries, as Linux's ring keeps one slot free: {@code fq_full}) until a flush of the whole
 * domain's IOTLB that began after their unmap has finished; only then are they freed to the IOVA
 * allocator. So an IOVA is never reused while a device could still reach the old pages through
 * a stale IOTLB entry.
 *
 * <p>Each entry remembers the flush-start count at queueing time; a flush is
 * {@code start++; flushIotlbAll(); finish++}, and an entry is freed once its count is below the
 * finish count (Linux's {@code fq_flush_start_cnt}/{@code fq_flush_finish_cnt}). A full ring
 * flushes synchronously. The caller of a flush also frees, after it, every entry whose count is
 * below the start count its own flush took: those entries were queued before that flush began,
 * and it has finished. This matters when flushes overlap: a flush that started earlier on
 * another CPU and has not finished holds the finish count back, so by the finish count alone
 * (Linux's rule in {@code fq_ring_free_locked}) a full ring whose entries were all queued after
 * that earlier start would stay full after its own flush, and the next entry would overwrite
 * the oldest one (its range leaked, the new one freed twice).
 *
 * <p>The {@link #FQ_TIMEOUT_NANOS 10 ms} timer runs on the injected clock without threads or
 * timers of its own: queueing arms it, and it fires (flush, then every ring's finished entries
 * freed) on the first queue operation or {@link #poll()} at or after its deadline. A caller that
 * stops unmapping calls {@link #poll()} (or {@link #flushNow()}) to let the last ranges go.
 *
 * <p>After the IOMMU domain is freed the timer never fires. Linux deletes it when the domain's
 * DMA cookie is put ({@code iommu_put_dma_cookie} calls {@code iommu_dma_free_fq}), so no flush
 * ever reaches a freed domain. This model gets no notice of the free (the cookie is never given
 * back), and the domain refuses every call afterwards with a {@link DomainFreedException}. So
 * a flush that finds the domain freed is refused, with an {@link IllegalStateException} that
 * names the domain and has the domain's refusal as its cause; any other failure of the flush
 * propagates as it is, with the same state left behind. The refused flush counts as
 * started, never as finished, and never as a timer flush. The timer stays armed with its
 * deadline, and the queued ranges stay queued (their IOVA space goes with the domain). Each
 * later due {@link #poll()}, and each {@link #flushNow()}, is refused in the same way. A poll
 * before the deadline makes no call into the domain and returns false, as it always does.
 *
 * <p>Thread-safety: safe for concurrent use. Each ring has its own lock (as Linux's per-CPU
 * {@code fq->lock}); the counts are atomic; the timer state has its own lock. The IOMMU
 * domain's flush runs outside every lock of this class except the calling CPU's ring when the
 * ring is full, as in Linux.
 */
public final class FlushQueue {
    /** {@code IOVA_DEFAULT_FQ_SIZE}: slots per CPU ring. */
    public static final int FQ_SIZE = 256;
    /**
     * Entries a ring holds: one fewer than its slots, as Linux's {@code fq_full} counts a ring
     * full when its tail is one behind its head (so that a full ring and an empty one differ);
     * the unmap after that many flushes first.
     */
    public static final int FQ_CAPACITY = FQ_SIZE - 1;
    /** {@code IOVA_DEFAULT_FQ_TIMEOUT}: 10 ms, in nanoseconds. */
    public static final long FQ_TIMEOUT_NANOS = 10_000_000L;

    private final GatheringDomain domain;
    private final IovaDomain iovas;
    private final LongSupplier nanoClock;
    private final Ring[] rings;
    private final AtomicLong flushStart = new AtomicLong();
    private final AtomicLong flushFinish = new AtomicLong();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong freed = new AtomicLong();
    private final AtomicLong fullFlushes = new AtomicLong();
    private final AtomicLong timerFlushes = new AtomicLong();
    private final Object timerLock = new Object();
    // guarded by timerLock
    private boolean armed;
    // guarded by timerLock; meaningful while armed
    private long deadline;

    /**
     * Creates the queue of one domain with one ring per CPU index.
     *
     * @param domain the IOMMU domain whose whole IOTLB a flush invalidates
     * @param iovas the domain's IOVA space, where finished entries are freed
     * @param nanoClock a monotonic clock in nanoseconds
     */
    FlushQueue(GatheringDomain domain, IovaDomain iovas, LongSupplier nanoClock) {
        this.domain = domain;
        this.iovas = iovas;
        this.nanoClock = nanoClock;
        this.rings = new Ring[iovas.cpus()];
        for (int i = 0; i < rings.length; i++) {
            rings[i] = new Ring();
        }
    }

    /**
     * {@code queue_iova}: queues an unmapped range on {@code cpu}'s ring, first freeing the
     * ring's finished entries, flushing synchronously if the ring is full; arms the timer.
     *
     * @param cpu the calling CPU's index
     * @param iova the range's first byte (granule aligned)
     * @param length the size its allocation was asked for, in bytes
     */
    void queue(int cpu, long iova, long length) {
        long now = nanoClock.getAsLong();
        fireIfDue(now);
        Ring ring = rings[cpu];
        synchronized (ring) {
            freeFinished(ring, cpu, flushFinish.get());
            if (ring.count == FQ_CAPACITY) {
                fullFlushes.incrementAndGet();
                long ticket = flushAll();
                // every entry was queued before this flush began (we hold the ring): all go
                freeFinished(ring, cpu, Math.max(ticket, flushFinish.get()));
            }
            ring.push(iova >>> iovas.shift(), iovas.granules(length), flushStart.get());
        }
        queued.incrementAndGet();
        synchronized (timerLock) {
            if (!armed) {
                armed = true;
                deadline = now + FQ_TIMEOUT_NANOS;
            }
        }
    }

    /**
     * Runs the timer if it is due on the clock: flush, then every ring's finished entries are
     * freed. Call it when unmaps stop, so that the last ranges are freed within the timeout.
     *
     * @return whether the timer fired
     * @throws IllegalStateException naming the IOMMU domain if the timer is due and the domain
     *     was freed; the timer stays armed and the ranges queued (see the class comment)
     */
    public boolean poll() {
        return fireIfDue(nanoClock.getAsLong());
    }

    /**
     * Flushes now and frees every queued range (for teardown and tests); disarms the timer.
     *
     * @throws IllegalStateException naming the IOMMU domain if it was freed; the timer and the
     *     queued ranges are then left as they were (see the class comment)
     */
    public void flushNow() {
        boolean wasArmed;
        long due;
        synchronized (timerLock) {
            wasArmed = armed;
            due = deadline;
            armed = false;
        }
        long ticket;
        try {
            ticket = flushAll();
        } catch (RuntimeException refused) {
            // not flushed: the ranges stay queued, and the timer as it was, for a later try
            if (wasArmed) {
                rearm(due);
            }
            throw refused;
        }
        freeAllFinished(ticket);
    }

    /** {@return the queue's counters, each read atomically} */
    public FlushQueueCounters counters() {
        return new FlushQueueCounters(flushStart.get(), flushFinish.get(), queued.get(),
                freed.get(), fullFlushes.get(), timerFlushes.get());
    }

    /** {@return how many ranges wait in the rings now (a sum, not a snapshot)} */
    public int pending() {
        int n = 0;
        for (Ring r : rings) {
            synchronized (r) {
                n += r.count;
            }
        }
        return n;
    }

    private boolean fireIfDue(long now) {
        long due;
        synchronized (timerLock) {
            // compared as a difference: nanoTime values may wrap
            if (!armed || now - deadline < 0) {
                return false;
            }
            armed = false;
            due = deadline;
        }
        long ticket;
        try {
            ticket = flushAll();
        } catch (RuntimeException refused) {
            rearm(due); // not flushed: the ranges stay queued for the next due tick
            throw refused;
        }
        timerFlushes.incrementAndGet();
        freeAllFinished(ticket);
        return true;
    }

    /** Arms the timer again with the deadline a refused flush found, unless a queue re-armed it. */
    private void rearm(long due) {
        synchronized (timerLock) {
            if (!armed) {
                armed = true;
                deadline = due;
            }
        }
    }

    /**
     * {@code fq_flush_iotlb}: a flush that began after every entry queued before it.
     *
     * @return the start count this flush took: every entry whose count is below it was queued
     *     before the flush began, so it may be freed once this call returns
     * @throws IllegalStateException naming the domain if the domain refused the flush because it
     *     was freed ({@link DomainFreedException}); any other failure of the flush propagates as
     *     it is; either way the flush counts as started and not as finished
     */
    private long flushAll() {
        long ticket = flushStart.incrementAndGet();
        try {
            domain.flushIotlbAll();
        } catch (DomainFreedException e) {
            throw new IllegalStateException(String.format("%s was freed (it refused the flush"
                    + " queue's IOTLB flush: %s). A freed domain's flush-queue timer never fires,"
                    + " as Linux deletes it when the domain's DMA cookie is put: flush the queue"
                    + " before freeing the domain, and stop ticking it", domain, e.getMessage()), e);
        }
        flushFinish.incrementAndGet();
        return ticket;
    }

    /** After the caller's own flush of start count {@code ticket}: every ring's covered entries. */
    private void freeAllFinished(long ticket) {
        for (int cpu = 0; cpu < rings.length; cpu++) {
            Ring r = rings[cpu];
            synchronized (r) {
                freeFinished(r, cpu, Math.max(ticket, flushFinish.get()));
            }
        }
    }

    /**
     * {@code fq_ring_free_locked}: frees the head entries whose count is below {@code bound} (the
     * finish count, or the start count of a flush the caller has seen finish).
     */
    private void freeFinished(Ring ring, int cpu, long bound) {
        while (ring.count > 0 && ring.counter[ring.head] < bound) {
            iovas.freeFast(cpu, ring.pfn[ring.head], ring.pages[ring.head]);
            ring.pop();
            freed.incrementAndGet();
        }
    }

    /** One CPU's ring; guarded by its own monitor. */
    private static final class Ring {
        final long[] pfn = new long[FQ_SIZE];
        final long[] pages = new long[FQ_SIZE];
        final long[] counter = new long[FQ_SIZE];
        int head;
        int count;

        void push(long p, long n, long c) {
            if (count == FQ_CAPACITY) {
                // never reached: the caller's own flush emptied a full ring; overwriting the head
                // would lose one range and free another twice
                throw new IllegalStateException("flush queue ring overflow: count=" + count);
            }
            int tail = (head + count) % FQ_SIZE;
            pfn[tail] = p;
            pages[tail] = n;
            counter[tail] = c;
            count++;
        }

        void pop() {
            head = (head + 1) % FQ_SIZE;
            count--;
        }
    }
}

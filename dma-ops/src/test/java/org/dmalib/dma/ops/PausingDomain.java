package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;

/**
 * A driver's domain that holds the thread making its {@code pauseAt}-th {@link #iotlbSync} call
 * ({@link #atSync}) or {@link #map} call ({@link #atMap}), counted from 1, before it reaches the
 * real domain, until the test {@linkplain #resume() resumes} it: an unmap or a map stopped half
 * way, to force an interleaving ({@link #recording} holds none). Every {@link #flushIotlbAll}
 * is recorded as its start and end on one event counter the test reads too ({@link #event()}).
 */
final class PausingDomain extends ForwardingDomain {
    // the most a test waits for the other thread: far above any run, short enough to fail
    private static final long WAIT_SECONDS = 10;

    private final int pauseAt;
    // whether map calls are counted, else iotlbSync calls
    private final boolean onMap;
    private final AtomicInteger calls = new AtomicInteger();
    private final CountDownLatch paused = new CountDownLatch(1);
    private final CountDownLatch resumed = new CountDownLatch(1);
    // the order of flush starts and ends and of the test's own events
    private final AtomicLong events = new AtomicLong();
    // guarded by itself: {start, end} event numbers of every flushIotlbAll
    private final List<long[]> flushes = new ArrayList<>();

    private PausingDomain(GatheringDomain real, int pauseAt, boolean onMap) {
        super(real);
        this.pauseAt = pauseAt;
        this.onMap = onMap;
    }

    /** Holds the {@code pauseAt}-th {@code iotlbSync}: an unmap after its claim. */
    static PausingDomain atSync(GatheringDomain real, int pauseAt) {
        return new PausingDomain(real, pauseAt, false);
    }

    /** Holds the {@code pauseAt}-th {@code map}: a map after its IOVA, before its page tables. */
    static PausingDomain atMap(GatheringDomain real, int pauseAt) {
        return new PausingDomain(real, pauseAt, true);
    }

    /** Holds no call: only records the flushes. */
    static PausingDomain recording(GatheringDomain real) {
        return new PausingDomain(real, -1, false);
    }

    /** Returns the next event number: later than every flush start or end recorded before it. */
    long event() {
        return events.incrementAndGet();
    }

    /**
     * Returns whether a flush of the whole IOTLB started after event {@code after} and ended
     * before event {@code before}.
     */
    boolean flushedBetween(long after, long before) {
        synchronized (flushes) {
            for (long[] f : flushes) {
                if (f[0] > after && f[1] < before) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Waits until a thread is held in the {@code pauseAt}-th sync. */
    void awaitPaused() throws InterruptedException {
        if (!paused.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("no thread reached " + (onMap ? "map" : "iotlbSync") + " call " + pauseAt);
        }
    }

    /** Lets the held thread go on. */
    void resume() {
        resumed.countDown();
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
        if (!onMap) {
            pauseIfDue();
        }
        real.iotlbSync(gather);
    }

    private void pauseIfDue() {
        if (calls.incrementAndGet() == pauseAt) {
            paused.countDown();
            try {
                if (!resumed.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError("the test never resumed the paused call");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void map(long iova, long paddr, long size, IommuProt prot) {
        if (onMap) {
            pauseIfDue();
        }
        real.map(iova, paddr, size, prot);
    }

    @Override
    public void flushIotlbAll() {
        long start = events.incrementAndGet();
        real.flushIotlbAll();
        long end = events.incrementAndGet();
        synchronized (flushes) {
            flushes.add(new long[] {start, end});
        }
    }
}

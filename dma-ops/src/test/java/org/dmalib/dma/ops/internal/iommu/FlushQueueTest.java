package org.dmalib.dma.ops.internal.iommu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.dmalib.dma.ops.internal.iova.IovaDomain;
import org.dmalib.iommu.api.DomainFreedException;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.api.Test;

/** The flush queue's counting under overlapping flushes, with a flush held open on purpose. */
class FlushQueueTest {
    private static final long G = 4096;
    // a 32-bit space of 4 KiB granules
    private static final long END_PFN = 0xF_FFFFL;

    /**
     * The interleaving behind the flaky two-CPU lazy test: CPU 1's flush has started (start
     * count 1) and not finished when CPU 0 fills its ring (every entry counted 1) and queues
     * once more. CPU 0's own full-ring flush finishes first, so the finish count is only 1 and
     * none of its entries is below it; its flush began after all of them all the same, so they
     * must all be freed and the new entry fits. (Before the fix the ring stayed full, the new
     * entry overwrote the oldest, whose range leaked, and the new one was freed twice.)
     */
    @Test
    void aFullRingEmptiesAfterItsOwnFlushWhileAnEarlierFlushIsStillRunning() throws Exception {
        HeldFlushDomain domain = new HeldFlushDomain();
        IovaDomain iovas = new IovaDomain(G, 1, END_PFN, 2, () -> 0L);
        FlushQueue fq = new FlushQueue(domain, iovas, () -> 0L);
        CompletableFuture<Void> earlier = CompletableFuture.runAsync(() -> {
            domain.holder = Thread.currentThread();
            fq.flushNow();
        });
        assertTrue(domain.entered.await(10, TimeUnit.SECONDS), "the held flush started");
        assertEquals(1, fq.counters().flushesStarted());
        for (int i = 0; i < FlushQueue.FQ_CAPACITY + 1; i++) {
            fq.queue(0, iovas.allocFast(0, 1, END_PFN, true) * G, G);
        }
        FlushQueueCounters c = fq.counters();
        assertEquals(1, c.fullFlushes());
        assertEquals(2, c.flushesStarted());
        assertEquals(1, c.flushesFinished(), "CPU 1's flush is still running");
        assertEquals(FlushQueue.FQ_CAPACITY, c.freed(), "every entry CPU 0's own flush covered");
        assertEquals(1, fq.pending());
        domain.release.countDown();
        earlier.get(10, TimeUnit.SECONDS);
        fq.flushNow();
        assertEquals(0, fq.pending());
        assertEquals(0, iovas.outstandingCount());
        c = fq.counters();
        assertEquals(FlushQueue.FQ_CAPACITY + 1, c.queued());
        assertEquals(c.queued(), c.freed());
    }

    /**
     * Only a freed domain's refusal is reported as a freed domain; any other failure of the
     * flush (a stalled command queue, say) comes out as it is. Either way nothing is freed and
     * the timer stays armed for a later try.
     */
    @Test
    void onlyAFreedDomainIsReportedAsFreedAndEveryFailedFlushLeavesTheRangesQueued() {
        HeldFlushDomain domain = new HeldFlushDomain();
        IovaDomain iovas = new IovaDomain(G, 1, END_PFN, 1, () -> 0L);
        long[] now = {0};
        FlushQueue fq = new FlushQueue(domain, iovas, () -> now[0]);
        fq.queue(0, iovas.allocFast(0, 1, END_PFN, true) * G, G);
        IllegalStateException stalled = new IllegalStateException("command queue full: prod=0x10");
        domain.failure = stalled;
        now[0] = FlushQueue.FQ_TIMEOUT_NANOS;
        assertSame(stalled, assertThrows(IllegalStateException.class, fq::poll), "not a freed domain");
        assertSame(stalled, assertThrows(IllegalStateException.class, fq::flushNow));
        assertEquals(1, fq.pending());
        DomainFreedException freed = new DomainFreedException("domain with asid=3 was freed");
        domain.failure = freed;
        IllegalStateException e = assertThrows(IllegalStateException.class, fq::poll);
        assertTrue(e.getMessage().startsWith(domain + " was freed"), e::getMessage);
        assertSame(freed, e.getCause());
        assertEquals(1, fq.pending(), "the timer stays armed, the range queued");
        domain.failure = null;
        assertTrue(fq.poll(), "the timer was left armed: it fires once the flush succeeds");
        assertEquals(0, fq.pending());
        assertEquals(0, iovas.outstandingCount());
    }

    /** Only the flush is real: the queue calls nothing else. One thread's flush can be held. */
    private static final class HeldFlushDomain implements GatheringDomain {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile Thread holder;
        /** What every flush throws, if not null. */
        volatile RuntimeException failure;

        @Override
        public String toString() {
            return "HeldFlushDomain";
        }

        @Override
        public void flushIotlbAll() {
            if (failure != null) {
                throw failure;
            }
            if (Thread.currentThread() == holder) {
                entered.countDown();
                try {
                    if (!release.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the held flush was never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }

        @Override
        public DomainType type() {
            return DomainType.DMA_FQ;
        }

        @Override
        public InvalidationStrategy strategy() {
            throw new UnsupportedOperationException("strategy: not used by the flush queue");
        }

        @Override
        public PageSizes pageSizes() {
            throw new UnsupportedOperationException("pageSizes: not used by the flush queue");
        }

        @Override
        public long apertureStart() {
            return 0;
        }

        @Override
        public long apertureEnd() {
            return (END_PFN + 1) * G - 1;
        }

        @Override
        public void map(long iova, long paddr, long size, IommuProt prot) {
            throw new UnsupportedOperationException("map: not used by the flush queue");
        }

        @Override
        public long unmap(long iova, long size) {
            throw new UnsupportedOperationException("unmap: not used by the flush queue");
        }

        @Override
        public OptionalLong iovaToPhys(long iova) {
            throw new UnsupportedOperationException("iovaToPhys: not used by the flush queue");
        }

        @Override
        public long unmapFast(long iova, long size, IotlbGather gather) {
            throw new UnsupportedOperationException("unmapFast: not used by the flush queue");
        }

        @Override
        public void iotlbSync(IotlbGather gather) {
            throw new UnsupportedOperationException("iotlbSync: not used by the flush queue");
        }

        @Override
        public boolean claimDmaCookie() {
            throw new UnsupportedOperationException("claimDmaCookie: not used by the flush queue");
        }
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/**
 * The domain's live-entry count (the OPTIMAL strategy's refill estimate) after maps on two
 * threads: each map publishes the table's leaf count when it returns, and a thread that read the
 * count before the other thread's map must not leave its older count behind. The interleaving is
 * forced: the first thread is held between reading the count and publishing it while the second
 * maps and publishes.
 */
class LiveEntriesRaceTest {
    private static final long PAGE = 4096;
    private static final long IOVA = 4 * Rig.GIB;

    /** The production table, holding one chosen thread inside its first leaf count read. */
    private static final class HeldCount implements DomainPageTable {
        final DomainPageTable t;
        final CountDownLatch read = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        volatile Thread holder;

        HeldCount(DomainPageTable t) {
            this.t = t;
        }

        @Override
        public long leafCount() {
            long n = t.leafCount();
            if (Thread.currentThread() == holder) {
                holder = null; // only the first read is held
                read.countDown();
                try {
                    assertTrue(go.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return n;
        }

        @Override
        public PageSizes pageSizes() {
            return t.pageSizes();
        }

        @Override
        public int levels() {
            return t.levels();
        }

        @Override
        public int t0sz() {
            return t.t0sz();
        }

        @Override
        public long ttbr() {
            return t.ttbr();
        }

        @Override
        public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
            return t.mapPages(iova, paddr, pgsize, pgcount, prot);
        }

        @Override
        public long mapPageList(long iova, long[] paddrs, int from, int count, IommuProt prot) {
            return t.mapPageList(iova, paddrs, from, count, prot);
        }

        @Override
        public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
            return t.unmapPages(iova, pgsize, pgcount, gather);
        }

        @Override
        public void checkUnmap(long iova, long size) {
            t.checkUnmap(iova, size);
        }

        @Override
        public OptionalLong iovaToPhys(long iova) {
            return t.iovaToPhys(iova);
        }

        @Override
        public void free() {
            t.free();
        }

        @Override
        public int tablesInUse() {
            return t.tablesInUse();
        }
    }

    @Test
    void a_map_that_read_the_count_before_another_threads_map_does_not_publish_it_last()
            throws Exception {
        HeldCount[] table = new HeldCount[1];
        Rig rig = new Rig(SmmuConfig.gem5(), (g, ias, oas, coh, cpu, mem, flush) ->
                table[0] = new HeldCount(Rig.PAGE_TABLES.allocate(g, ias, oas, coh, cpu, mem, flush)));
        IommuDomain domain = rig.domain(InvalidationStrategy.OPTIMAL, (int) PAGE);
        DomainFlushOps flush = rig.driver.domainOps(domain).flush();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> first = pool.submit(() -> {
                table[0].holder = Thread.currentThread();
                domain.map(IOVA, Rig.DATA, 4 * PAGE, IommuProt.READ_WRITE);
            });
            assertTrue(table[0].read.await(10, TimeUnit.SECONDS));
            // the first thread has read 4 leaves and not yet published them
            domain.map(IOVA + 4 * PAGE, Rig.DATA + 4 * PAGE, 4 * PAGE, IommuProt.READ_WRITE);
            assertEquals(8, flush.liveEntries());
            table[0].go.countDown();
            first.get(10, TimeUnit.SECONDS);
        } finally {
            table[0].go.countDown();
            pool.shutdownNow();
        }
        assertEquals(8, table[0].t.leafCount());
        assertEquals(8, flush.liveEntries(),
                "with no map in flight the estimate is the table's count, not the first thread's");
    }
}

package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.junit.jupiter.api.Test;

/**
 * {@link Teardown#run}: the syncs Linux issues for a teardown, wall times that are times of the
 * run, and a progress bar that ends full.
 */
class TeardownTest {
    @Test
    void every_freed_table_the_unmap_and_the_free_each_end_with_one_sync() {
        // 64M of 4K leaves frees 32 leaf tables: Linux's tlb_flush_walk ends each walk flush
        // with a CMD_SYNC, iotlb_sync syncs the leaf invalidation, and freeing the domain
        // syncs its ASID invalidation: 32 + 1 + 1, with or without range invalidation
        for (boolean ril : new boolean[] {true, false}) {
            Teardown.Result r = Teardown.run(InvalidationStrategy.LINUX, ril, 4096, 64L << 20, null);
            assertEquals(34, r.syncCommands(), r::toString);
            assertEquals(30 * r.tlbiCommands() + 300 * r.syncCommands(), r.modelledNanos());
        }
        // 64K leaves: 1024 pages in one leaf table that is not freed, so one leaf sync and one
        // for the free
        Teardown.Result big = Teardown.run(InvalidationStrategy.PER_PAGE, true, 65536, 64L << 20,
                null);
        assertEquals(2, big.syncCommands(), big::toString);
        assertEquals(1024 + 1, big.tlbiCommands(), big::toString);
        assertEquals(1, big.asidInvalidations(), big::toString);
    }

    @Test
    void wall_times_are_times_of_the_run() {
        long t0 = System.nanoTime();
        Teardown.Result r = Teardown.run(InvalidationStrategy.LINUX, true, 4096, 16L << 20, null);
        long elapsed = System.nanoTime() - t0;
        assertTrue(r.wallNanos() > 0 && r.mapNanos() > 0, r::toString);
        assertTrue(r.wallNanos() + r.mapNanos() <= elapsed, () -> r + " in " + elapsed + " ns");
    }

    @Test
    void the_progress_bar_rises_to_100_percent_naming_the_strategy() {
        StringWriter err = new StringWriter();
        AtomicLong now = new AtomicLong();
        // every reading of the clock is two seconds later: always past the threshold
        Progress p = new Progress(new PrintWriter(err, true), true,
                () -> now.addAndGet(2 * Progress.THRESHOLD_NANOS));
        // three chunks of 64M
        Teardown.run(InvalidationStrategy.OPTIMAL, true, 65536, 3 * Teardown.CHUNK, p);
        Matcher m = Pattern.compile("\r\\[[#.]{30}\\] +(-?\\d+)% ([^\r]*)").matcher(err.toString());
        List<Integer> percents = new ArrayList<>();
        while (m.find()) {
            percents.add(Integer.parseInt(m.group(1)));
            assertEquals("map 192M for optimal (RIL)", m.group(2).strip());
        }
        assertEquals(List.of(33, 66, 100), percents, err::toString);
    }

    @Test
    void the_progress_label_says_when_the_smmu_has_no_range_invalidation() {
        StringWriter err = new StringWriter();
        AtomicLong now = new AtomicLong();
        Progress p = new Progress(new PrintWriter(err, true), true,
                () -> now.addAndGet(2 * Progress.THRESHOLD_NANOS));
        Teardown.run(InvalidationStrategy.PER_PAGE, false, 65536, Teardown.CHUNK, p);
        assertTrue(err.toString().contains("] 100% map 64M for per-page (no RIL)"), err::toString);
    }

    @Test
    void the_tables_are_one_pte_per_page_one_upper_entry_per_leaf_table_and_4m_of_slack() {
        // 64G of 4K pages: 16M PTEs (128M) in 32768 leaf tables; one upper-level PTE per leaf
        // table (256K), doubled for the levels above; 4M more for the stream table, the queues
        // and the top levels: already a multiple of the largest block
        assertEquals((128L << 20) + (512L << 10) + (4L << 20), Teardown.tableBytes(64L << 30, 4096));
        // 64K pages: 1M PTEs (8M) in 128 leaf tables, 1K of upper PTEs doubled, rounded up to 64K
        assertEquals((8L << 20) + (64L << 10) + (4L << 20), Teardown.tableBytes(64L << 30, 65536));
    }
}

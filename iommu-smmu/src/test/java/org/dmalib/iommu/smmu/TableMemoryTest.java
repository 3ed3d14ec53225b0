package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.junit.jupiter.api.Test;

class TableMemoryTest {
    private static final long MIB = 1L << 20;
    private final Machine machine = Machine.create(MachineConfig.of(4 * MIB));

    @Test
    void blocks_are_naturally_aligned_inside_the_region_and_reused_after_free() {
        TableMemory tm = TableMemory.of(machine, MIB, MIB);
        long a = tm.allocate(64);
        long b = tm.allocate(4096);
        assertEquals(0, b % 4096);
        assertTrue(a >= MIB && b + 4096 <= 2 * MIB);
        assertEquals(4096 + 64, tm.bytesInUse());
        tm.free(b, 4096);
        assertEquals(b, tm.allocate(4096));
        long c = tm.allocate(128); // from the gap the 4 KiB alignment left
        assertTrue(c > a && c < b, "the alignment gap is reused");
        assertEquals(3, tm.blocksInUse());
    }

    @Test
    void exhaustion_and_bad_frees_are_typed_and_change_nothing() {
        TableMemory tm = TableMemory.of(machine, 0, TableMemory.MAX_BLOCK);
        long a = tm.allocate(TableMemory.MAX_BLOCK);
        PageTableMemoryException e =
                assertThrows(PageTableMemoryException.class, () -> tm.allocate(4096));
        assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
        assertThrows(PageTableMemoryException.class, () -> tm.free(a + 4096, 4096));
        assertThrows(PageTableMemoryException.class, () -> tm.free(a, 4096));
        assertEquals(TableMemory.MAX_BLOCK, tm.bytesInUse());
        tm.free(a, TableMemory.MAX_BLOCK);
        assertEquals(0, tm.bytesInUse());
    }

    @Test
    void bad_arguments_name_the_value() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TableMemory.of(machine, 4096, MIB));
        assertTrue(e.getMessage().contains("base=0x1000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TableMemory.of(machine, 0, 100));
        assertThrows(RuntimeException.class, () -> TableMemory.of(machine, 0, 8 * MIB));
        TableMemory tm = TableMemory.of(machine, 0, MIB);
        e = assertThrows(IllegalArgumentException.class, () -> tm.allocate(96));
        assertTrue(e.getMessage().contains("bytes=96"), e.getMessage());
    }

    @Test
    void concurrent_allocation_never_hands_out_a_block_twice() throws Exception {
        TableMemory tm = TableMemory.of(machine, 0, 4 * MIB);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 200; i++) {
                    long p = tm.allocate(4096);
                    assertTrue(seen.add(p));
                    if (i % 3 == 0) {
                        seen.remove(p);
                        tm.free(p, 4096);
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(seen.size() * 4096L, tm.bytesInUse());
    }

    @Test
    void freeAll_frees_a_batch_or_nothing() {
        TableMemory tm = TableMemory.of(machine, MIB, MIB);
        long[] blocks = new long[4];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = tm.allocate(4096);
        }
        long other = tm.allocate(4096);

        long[] twice = {blocks[0], blocks[1], blocks[0]};
        PageTableMemoryException e =
                assertThrows(PageTableMemoryException.class, () -> tm.freeAll(twice, 3, 4096));
        assertTrue(e.getMessage().contains(String.format("paddr=0x%x", blocks[0])), e.getMessage());
        long[] stranger = {blocks[0], blocks[1] + 64};
        assertThrows(PageTableMemoryException.class, () -> tm.freeAll(stranger, 2, 4096));
        assertThrows(PageTableMemoryException.class,
                () -> tm.freeAll(new long[] {blocks[2]}, 1, 8192), "wrong size");
        assertThrows(IllegalArgumentException.class, () -> tm.freeAll(blocks, 5, 4096));
        assertEquals(5, tm.blocksInUse(), "a refused batch frees nothing");
        assertEquals(5 * 4096, tm.bytesInUse());

        tm.freeAll(blocks, 3, 4096); // only the first three
        assertEquals(2, tm.blocksInUse());
        assertThrows(PageTableMemoryException.class, () -> tm.free(blocks[1], 4096));
        tm.free(blocks[3], 4096);
        tm.free(other, 4096);
        assertEquals(0, tm.bytesInUse());
        // most recently freed first: the five blocks come back, and nothing beyond them
        java.util.Set<Long> again = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            again.add(tm.allocate(4096));
        }
        assertEquals(java.util.Set.of(blocks[0], blocks[1], blocks[2], blocks[3], other), again);
    }

    @Test
    void a_free_must_name_the_size_the_block_has_small_or_large() {
        TableMemory tm = TableMemory.of(machine, MIB, MIB);
        long small = tm.allocate(64);       // the region's first byte: 4 KiB aligned
        long large = tm.allocate(8192);
        assertEquals(0, small % 4096);
        assertThrows(PageTableMemoryException.class, () -> tm.free(small, 4096));
        assertThrows(PageTableMemoryException.class, () -> tm.free(large, 64));
        assertThrows(PageTableMemoryException.class, () -> tm.free(large + 4096, 4096));
        assertThrows(PageTableMemoryException.class,
                () -> tm.freeAll(new long[] {large, small}, 2, 8192));
        assertEquals(2, tm.blocksInUse(), "nothing was freed");
        tm.free(small, 64);
        tm.freeAll(new long[] {large}, 1, 8192);
        assertEquals(0, tm.bytesInUse());
    }

    @Test
    void an_empty_region_is_refused_naming_its_size() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TableMemory.of(machine, 0, 0));
        assertTrue(e.getMessage().contains("size=0x0"), e.getMessage());
    }

    @Test
    void a_freed_block_cannot_be_freed_again() {
        TableMemory tm = TableMemory.of(machine, 0, MIB);
        long a = tm.allocate(4096);
        long b = tm.allocate(64);
        tm.free(a, 4096);
        tm.free(b, 64);
        assertThrows(PageTableMemoryException.class, () -> tm.free(a, 4096));
        assertThrows(PageTableMemoryException.class, () -> tm.free(b, 64));
        assertEquals(0, tm.bytesInUse());
        assertEquals(0, tm.blocksInUse());
    }

    @Test
    void free_all_takes_every_block_of_the_array() {
        TableMemory tm = TableMemory.of(machine, 0, MIB);
        long[] blocks = {tm.allocate(4096), tm.allocate(4096), tm.allocate(4096)};
        tm.freeAll(blocks, blocks.length, 4096);
        assertEquals(0, tm.blocksInUse());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tm.freeAll(blocks, 4, 4096));
        assertTrue(e.getMessage().contains("count=4"), e.getMessage());
    }

    @Test
    void a_free_just_past_the_region_or_in_an_untouched_part_is_typed() {
        TableMemory tm = TableMemory.of(machine, MIB, 3 * MIB);
        tm.allocate(64);
        assertThrows(PageTableMemoryException.class, () -> tm.free(4 * MIB, 4096));
        assertThrows(PageTableMemoryException.class, () -> tm.free(4 * MIB, 64));
        // no block under 4 KiB was ever made in the region's second 2 MiB
        assertThrows(PageTableMemoryException.class, () -> tm.free(MIB + 3 * MIB - 64, 64));
        assertEquals(1, tm.blocksInUse());
    }

    @Test
    void small_blocks_2_mib_apart_are_told_apart() {
        TableMemory tm = TableMemory.of(machine, 0, 4 * MIB);
        long first = tm.allocate(64);
        for (int i = 1; i < 1024; i++) {
            tm.allocate(64); // the rest of the first 64 KiB, in 64-byte blocks
        }
        for (int i = 1; i < 32; i++) {
            tm.allocate(TableMemory.MAX_BLOCK); // up to 2 MiB
        }
        long far = tm.allocate(64);
        assertEquals(first + 2 * MIB, far);
        tm.free(first, 64);
        tm.free(far, 64); // still allocated: the free of its namesake 2 MiB below left it alone
        assertThrows(PageTableMemoryException.class, () -> tm.free(first, 64));
    }

    @Test
    void a_freed_block_is_reused_before_a_piece_of_an_alignment_gap_and_each_once() {
        TableMemory tm = TableMemory.of(machine, 0, MIB);
        tm.allocate(64); // 0x0
        long freed = tm.allocate(64); // 0x40
        tm.allocate(64); // 0x80
        tm.free(freed, 64);
        tm.allocate(4096); // at 0x1000: the gap from 0xc0 goes to the free lists, 0xc0 for 64 B
        long again = tm.allocate(64);
        long gap = tm.allocate(64);
        assertEquals(freed, again, "the block freed first comes back first");
        assertEquals(0xc0, gap);
    }

    @Test
    void free_all_of_no_blocks_frees_nothing() {
        TableMemory tm = TableMemory.of(machine, 0, MIB);
        long[] blocks = {tm.allocate(4096)};
        tm.freeAll(blocks, 0, 4096);
        assertEquals(1, tm.blocksInUse());
        assertThrows(IllegalArgumentException.class, () -> tm.freeAll(blocks, -1, 4096));
    }

    @Test
    void once_the_region_is_used_up_a_freed_bigger_block_is_split_for_a_smaller_request() {
        TableMemory tm = TableMemory.of(machine, MIB, TableMemory.MAX_BLOCK);
        long[] pages = new long[16];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = tm.allocate(4096);
        }
        tm.free(pages[5], 4096);
        assertEquals(15 * 4096, tm.bytesInUse());
        // a context descriptor after a domain's teardown: the region is free, not exhausted
        Set<Long> cds = new HashSet<>();
        for (int i = 0; i < 4096 / 64; i++) {
            long cd = tm.allocate(64);
            assertTrue(cd >= pages[5] && cd < pages[5] + 4096, Long.toHexString(cd));
            assertTrue(cds.add(cd), "handed out once: " + Long.toHexString(cd));
        }
        assertEquals(16 * 4096, tm.bytesInUse());
        PageTableMemoryException e =
                assertThrows(PageTableMemoryException.class, () -> tm.allocate(64));
        assertTrue(e.getMessage().contains("bytes=64"), e.getMessage());
        assertEquals(16 * 4096, tm.bytesInUse(), "the refused request took nothing");
        for (long cd : cds) {
            tm.free(cd, 64);
        }
        tm.free(pages[0], 4096);
        assertEquals(pages[0], tm.allocate(4096), "a freed block of the size is still preferred");
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.junit.jupiter.api.Test;

/** The order in which a {@link TableMemory} hands freed and alignment-gap blocks out again. */
class TableMemoryFreeListTest {
    private static final long MIB = 1L << 20;
    private final Machine machine = Machine.create(MachineConfig.of(4 * MIB));

    @Test
    void an_alignment_gap_block_joins_a_full_free_list_behind_every_freed_block() {
        TableMemory tm = TableMemory.of(machine, MIB, MIB);
        // 15 small blocks freed: the free list of 64 B is one short of its first growth
        long[] small = new long[15];
        for (int i = 0; i < small.length; i++) {
            small[i] = tm.allocate(64);
        }
        for (long b : small) {
            tm.free(b, 64);
        }
        // the bump pointer is at MIB + 15 * 64: a 4 KiB block leaves a gap starting there
        assertEquals(MIB + 4096, tm.allocate(4096));
        for (int i = small.length - 1; i >= 0; i--) {
            assertEquals(small[i], tm.allocate(64), "freed blocks first, most recent first");
        }
        assertEquals(MIB + 15 * 64, tm.allocate(64), "then the gap's 64 B block");
        assertEquals(MIB + 1024, tm.allocate(1024), "the gap's other pieces");
        assertEquals(MIB + 2048, tm.allocate(2048));
        assertEquals(MIB + 8192, tm.allocate(64), "only then the bump pointer");
        assertEquals(16 * 64 + 1024 + 2048 + 4096 + 64, tm.bytesInUse());
    }

    @Test
    void exhaustion_names_the_region_and_the_size_asked_for() {
        TableMemory tm = TableMemory.of(machine, MIB, TableMemory.MAX_BLOCK);
        tm.allocate(TableMemory.MAX_BLOCK);
        PageTableMemoryException e =
                assertThrows(PageTableMemoryException.class, () -> tm.allocate(4096));
        assertEquals("table memory [0x100000, 0x110000) exhausted: no block of bytes=4096 left",
                e.getMessage());
    }
}

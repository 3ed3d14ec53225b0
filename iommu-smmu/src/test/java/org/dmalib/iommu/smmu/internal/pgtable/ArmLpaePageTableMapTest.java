package org.dmalib.iommu.smmu.internal.pgtable;

import static org.dmalib.iommu.smmu.internal.pgtable.Rig.GIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.KIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.InvalidProtException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.smmu.PageTableMemoryException;
import org.dmalib.iommu.smmu.TableMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** map_pages and iova_to_phys (reference §4.4, §4.7). */
class ArmLpaePageTableMapTest {
    private static final IommuProt RW = IommuProt.READ_WRITE;
    private final Rig rig = new Rig();
    private final RecordingFlushOps ops = rig.flushOps(4 * KIB);
    private final ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), ops);

    @Test
    void pages_round_trip_with_offsets() {
        assertEquals(3 * 4 * KIB, t.mapPages(0x1000_0000L, 0x8000_0000L, 4 * KIB, 3, RW));
        assertEquals(OptionalLong.of(0x8000_0000L), t.iovaToPhys(0x1000_0000L));
        assertEquals(OptionalLong.of(0x8000_2abcL), t.iovaToPhys(0x1000_2abcL));
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0x1000_3000L));
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0x2000_0000L), "no table there at all");
        assertEquals(4, t.tablesInUse(), "pgd + L1 + L2 + L3");
        assertEquals(0, ops.calls(), "map issues no TLB maintenance");
    }

    @ParameterizedTest(name = "granule {0}: block of 0x{1} at level {2}")
    @CsvSource({"4096, 200000, 2", "4096, 40000000, 1", "16384, 2000000, 2", "65536, 20000000, 2"})
    void blocks_translate_every_offset_inside_them(int granule, String blockHex, int level) {
        long block = Long.parseLong(blockHex, 16);
        ArmLpaePageTable b = rig.table(Rig.config(granule, 48, true), rig.flushOps(granule));
        long iova = 5 * block;
        long pa = GIB; // aligned to every block size here
        assertEquals(block, b.mapPages(iova, pa, block, 1, RW));
        assertEquals(OptionalLong.of(pa), b.iovaToPhys(iova));
        assertEquals(OptionalLong.of(pa + block - 8), b.iovaToPhys(iova + block - 8));
        assertEquals(OptionalLong.of(pa + 0x12340), b.iovaToPhys(iova + 0x12340));
        assertEquals(OptionalLong.empty(), b.iovaToPhys(iova + block));
        long pte = rig.cpu.loadLong(Slots.at(b, rig.cpu, iova, level));
        assertEquals(LpaePte.TYPE_BLOCK, pte & LpaePte.TYPE_MASK);
        assertEquals(pa, LpaePte.toPaddr(pte));
        assertEquals(1 + level - b.config().startLevel(), b.tablesInUse(), "tables down to the block's");
    }

    @Test
    void leaf_ptes_carry_the_protection_bits() {
        IommuProt ro = IommuProt.READ.with(IommuProt.CACHE).with(IommuProt.NOEXEC);
        t.mapPages(0x4000L, 0x9000L, 4 * KIB, 1, ro);
        long pte = rig.cpu.loadLong(Slots.at(t, rig.cpu, 0x4000L, 3));
        assertEquals(0x9000L | LpaePte.protToPte(ro) | LpaePte.TYPE_PAGE, pte);
        assertTrue((pte & LpaePte.AP_RDONLY) != 0 && (pte & LpaePte.XN) == LpaePte.XN);
    }

    @Test
    void one_call_stops_at_the_end_of_the_leaf_table() {
        long iova = 2 * MIB - 2 * 4 * KIB; // the last two entries of an L3 table
        assertEquals(2 * 4 * KIB, t.mapPages(iova, 0x8000_0000L, 4 * KIB, 5, RW));
        assertEquals(OptionalLong.empty(), t.iovaToPhys(2 * MIB));
        assertEquals(3 * 4 * KIB, t.mapPages(2 * MIB, 0x8000_2000L, 4 * KIB, 3, RW));
        assertEquals(OptionalLong.of(0x8000_2000L), t.iovaToPhys(2 * MIB));
    }

    @Test
    void one_call_stops_at_the_end_of_a_small_pgd() {
        ArmLpaePageTable small = rig.table(Rig.config(4096, 32, true), ops); // pgd: 4 x 1 GiB
        assertEquals(4, small.config().entries(1));
        assertEquals(GIB, small.mapPages(3 * GIB, GIB, GIB, 4, RW), "only the pgd's last entry");
        assertEquals(1, small.tablesInUse());
    }

    @Test
    void an_existing_leaf_is_already_mapped_and_nothing_of_the_call_is_mapped() {
        t.mapPages(0x10_2000L, 0x7000_0000L, 4 * KIB, 1, RW);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(0x10_0000L, 0x6000_0000L, 4 * KIB, 4, RW));
        assertTrue(e.getMessage().contains("iova=0x102000"), e.getMessage());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0x10_0000L), "pages before it: unmapped");
        assertEquals(OptionalLong.of(0x7000_0000L), t.iovaToPhys(0x10_2000L), "unchanged");
    }

    @Test
    void a_block_above_is_already_mapped() {
        t.mapPages(0x20_0000L, 0x7000_0000L, 2 * MIB, 1, RW);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(0x20_1000L, 0x6000_0000L, 4 * KIB, 1, RW));
        assertTrue(e.getMessage().contains("iova=0x201000"), e.getMessage());
    }

    @Test
    void a_block_over_a_table_that_still_maps_pages_is_refused_and_nothing_changes() {
        t.mapPages(0x20_3000L, 0x7000_0000L, 4 * KIB, 1, RW);
        int tables = t.tablesInUse();
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(0x20_0000L, 0x6000_0000L, 2 * MIB, 1, RW));
        assertTrue(e.getMessage().contains("iova=0x203000"), e.getMessage());
        assertEquals(OptionalLong.of(0x7000_0000L), t.iovaToPhys(0x20_3000L));
        assertEquals(tables, t.tablesInUse());
        assertEquals(0, ops.calls());
    }

    @Test
    void a_block_over_an_empty_table_frees_it_after_a_walk_flush_as_linux_does() {
        t.mapPages(0x20_3000L, 0x7000_0000L, 4 * KIB, 1, RW);
        assertEquals(4 * KIB, t.unmapPages(0x20_3000L, 4 * KIB, 1, new IotlbGather()));
        long before = rig.memory.blocksInUse();
        assertEquals(2 * MIB, t.mapPages(0x20_0000L, 0x6000_0000L, 2 * MIB, 1, RW));
        assertEquals(List.of(new RecordingFlushOps.Walk(0x20_0000L, 2 * MIB, 4 * KIB, before)),
                ops.walks(), "flushed while the L3 table was still allocated");
        assertEquals(before - 1, rig.memory.blocksInUse());
        assertEquals(OptionalLong.of(0x6000_3000L), t.iovaToPhys(0x20_3000L));
    }

    @Test
    void a_run_of_blocks_over_an_empty_table_in_its_middle_maps_every_entry_and_frees_it() {
        t.mapPages(0x40_3000L, 0x7000_0000L, 4 * KIB, 1, RW);
        assertEquals(4 * KIB, t.unmapPages(0x40_3000L, 4 * KIB, 1, new IotlbGather()));
        long before = rig.memory.blocksInUse();
        // entries 0 and 1 are empty, entry 2 the empty table, entry 3 empty again
        assertEquals(8 * MIB, t.mapPages(0, 0x6000_0000L, 2 * MIB, 4, RW));
        assertEquals(List.of(new RecordingFlushOps.Walk(0x40_0000L, 2 * MIB, 4 * KIB, before)),
                ops.walks());
        assertEquals(before - 1, rig.memory.blocksInUse());
        for (long at : new long[] {0, 0x20_0abcL, 0x40_3000L, 0x7f_fff8L}) {
            assertEquals(OptionalLong.of(0x6000_0000L + at), t.iovaToPhys(at), Long.toHexString(at));
            long pte = rig.cpu.loadLong(Slots.at(t, rig.cpu, at, 2));
            assertEquals(LpaePte.leaf(0x6000_0000L + (at & -(2 * MIB)), LpaePte.protToPte(RW), 2),
                    pte, Long.toHexString(at));
        }
        assertEquals(4, t.leafCount());
    }

    @Test
    void a_leaf_after_an_empty_table_in_a_run_is_refused_before_the_table_is_freed() {
        t.mapPages(0x20_3000L, 0x7000_0000L, 4 * KIB, 1, RW);
        assertEquals(4 * KIB, t.unmapPages(0x20_3000L, 4 * KIB, 1, new IotlbGather()));
        t.mapPages(0x40_0000L, 0x5000_0000L, 2 * MIB, 1, RW);
        long before = rig.memory.blocksInUse();
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(0, 0x6000_0000L, 2 * MIB, 4, RW));
        assertTrue(e.getMessage().contains("iova=0x400000"), e.getMessage());
        assertEquals(before, rig.memory.blocksInUse(), "the empty table is still there");
        assertEquals(List.of(), ops.walks());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0), "the entry before it: still empty");
        assertEquals(OptionalLong.of(0x5000_0000L), t.iovaToPhys(0x40_0000L));
        assertEquals(1, t.leafCount());
    }

    @Test
    void an_entry_that_is_neither_leaf_nor_table_is_overwritten_like_an_empty_one() {
        t.mapPages(0x1000, 0x7000_0000L, 4 * KIB, 1, RW);
        assertEquals(4 * KIB, t.unmapPages(0x1000, 4 * KIB, 1, new IotlbGather()));
        // an invalid descriptor (type 0b00) with stray address bits, in the run's second entry
        rig.cpu.storeLong(Slots.at(t, rig.cpu, 0x1000, 3), 0x7777_7000L);
        assertEquals(4 * 4 * KIB, t.mapPages(0, 0x6000_0000L, 4 * KIB, 4, RW));
        for (long at = 0; at < 4 * 4 * KIB; at += 4 * KIB) {
            assertEquals(OptionalLong.of(0x6000_0000L + at), t.iovaToPhys(at));
        }
        assertEquals(4, t.leafCount());
    }

    @Test
    void bad_arguments_are_typed_name_the_value_and_change_nothing() {
        t.mapPages(0, 0x1000, 4 * KIB, 1, RW);
        int tables = t.tablesInUse();
        assertMessage(IllegalArgumentException.class, "pgsize=0x2000",
                () -> t.mapPages(0, 0, 8 * KIB, 1, RW));
        assertMessage(IllegalArgumentException.class, "pgcount=0",
                () -> t.mapPages(0x1000, 0, 4 * KIB, 0, RW));
        assertMessage(UnalignedException.class, "iova=0x1800",
                () -> t.mapPages(0x1800, 0, 4 * KIB, 1, RW));
        assertMessage(UnalignedException.class, "paddr=0x1800",
                () -> t.mapPages(0x1000, 0x1800, 4 * KIB, 1, RW));
        assertMessage(OutOfRangeException.class, "iova=0x1000000000000",
                () -> t.mapPages(1L << 48, 0, 4 * KIB, 1, RW));
        assertMessage(OutOfRangeException.class, "iova=0x",
                () -> t.mapPages(-4096, 0, 4 * KIB, 1, RW));
        assertMessage(InvalidProtException.class, "prot=0x4",
                () -> t.mapPages(0x1000, 0, 4 * KIB, 1, IommuProt.CACHE));
        ArmLpaePageTable oas32 = rig.table(new LpaeConfig(4096, 48, 32, true), ops);
        assertMessage(OutOfRangeException.class, "paddr=0xfffff000 size=0x2000",
                () -> oas32.mapPages(0, 0xffff_f000L, 4 * KIB, 2, RW));
        assertEquals(tables, t.tablesInUse());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0x1000));
        assertThrows(OutOfRangeException.class, () -> t.iovaToPhys(1L << 48));
    }

    @Test
    void running_out_of_table_memory_is_typed_and_maps_nothing() {
        TableMemory tiny = TableMemory.of(rig.machine, 64 * MIB, TableMemory.MAX_BLOCK);
        ArmLpaePageTable k64 = ArmLpaePageTable.allocate(
                Rig.config(65536, 48, false), rig.cpu, tiny, rig.flushOps(65536));
        PageTableMemoryException e = assertThrows(PageTableMemoryException.class,
                () -> k64.mapPages(0, 0, 64 * KIB, 1, RW));
        assertTrue(e.getMessage().contains("exhausted"), e.getMessage());
        assertEquals(1, k64.tablesInUse());
        assertEquals(OptionalLong.empty(), k64.iovaToPhys(0));
    }

    @Test
    void views_on_other_cpus_share_the_tables() {
        ArmLpaePageTable other = t.onCpu(rig.machine.cpu(1));
        other.mapPages(0x5000, 0xa000, 4 * KIB, 1, RW);
        assertEquals(OptionalLong.of(0xa000), t.iovaToPhys(0x5000));
        assertEquals(t.ttbr(), other.ttbr());
        assertEquals(t.tablesInUse(), other.tablesInUse());
    }

    @Test
    void free_returns_every_table_without_tlb_work_and_ends_the_table() {
        t.mapPages(0, 0, 4 * KIB, 3, RW);
        t.mapPages(GIB, 0, 2 * MIB, 2, RW);
        t.mapPages(5 * GIB, GIB, GIB, 1, RW);
        assertEquals(t.tablesInUse(), rig.memory.blocksInUse());
        t.free();
        assertEquals(0, t.tablesInUse());
        assertEquals(0, rig.memory.blocksInUse());
        assertEquals(0, ops.calls());
        assertThrows(IllegalStateException.class, t::free);
        assertThrows(IllegalStateException.class, () -> t.mapPages(0, 0, 4 * KIB, 1, RW));
        assertThrows(IllegalStateException.class, () -> t.iovaToPhys(0));
    }

    static void assertMessage(Class<? extends RuntimeException> type, String expected, Runnable r) {
        RuntimeException e = assertThrows(type, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void a_block_run_over_a_table_that_maps_a_page_names_that_page() {
        t.mapPages(0x20_3000L, 0x7000_0000L, 4 * KIB, 1, RW);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(0, 0x6000_0000L, 2 * MIB, 2, RW));
        assertTrue(e.getMessage().contains("iova=0x203000"), e.getMessage());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0));
        assertEquals(0, ops.calls());
    }

    @Test
    void a_page_at_iova_0_keeps_a_block_from_being_mapped_over_its_table() {
        t.mapPages(0, 0x7000_0000L, 4 * KIB, 1, RW);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(0, 0x6000_0000L, 2 * MIB, 1, RW));
        assertTrue(e.getMessage().contains("iova=0x0"), e.getMessage());
        assertEquals(OptionalLong.of(0x7000_0000L), t.iovaToPhys(0));
        assertEquals(0, ops.calls(), "the table was neither flushed nor freed");
    }

    @Test
    void a_gigabyte_block_over_tables_that_map_a_page_names_the_page() {
        t.mapPages(GIB + 0x20_3000L, 0x7000_0000L, 4 * KIB, 1, RW);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(GIB, 0, GIB, 1, RW));
        assertTrue(e.getMessage().contains("iova=0x40203000"), e.getMessage());
        assertEquals(OptionalLong.of(0x7000_0000L), t.iovaToPhys(GIB + 0x20_3000L));
        assertEquals(0, ops.calls());
    }
}

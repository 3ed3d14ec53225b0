package org.dmalib.iommu.smmu.internal.pgtable;

import static org.dmalib.iommu.smmu.internal.pgtable.Rig.KIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.InvalidProtException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/**
 * The page-list walk ({@link ArmLpaePageTable#mapPageList}) and the run accesses of map and
 * unmap: a run of entries is read and written one line access per cache line, not one per entry.
 */
class ArmLpaePageTableListTest {
    private static final IommuProt RW = IommuProt.READ_WRITE;
    private static final long PAGE = 4 * KIB;
    private final Rig rig = new Rig();
    private final RecordingFlushOps ops = rig.flushOps(PAGE);
    private final ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), ops);

    /** {@code n} pages, every other physical page from {@code base}: none contiguous. */
    private static long[] scattered(long base, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = base + 2L * i * PAGE;
        }
        return p;
    }


    @Test
    void a_page_list_maps_each_page_where_it_belongs() {
        long[] p = scattered(0x8000_0000L, 64);
        assertEquals(64 * PAGE, t.mapPageList(0x1000_0000L, p, 0, 64, RW));
        for (int i = 0; i < 64; i++) {
            assertEquals(OptionalLong.of(p[i] + 0x10), t.iovaToPhys(0x1000_0000L + i * PAGE + 0x10));
        }
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0x1000_0000L + 64 * PAGE));
        assertEquals(64, t.leafCount());
        assertEquals(0, ops.calls(), "map issues no TLB maintenance");
        // the same entries a page-by-page map writes
        ArmLpaePageTable other = rig.table(Rig.config(4096, 48, true), rig.flushOps(PAGE));
        for (int i = 0; i < 64; i++) {
            other.mapPages(0x1000_0000L + i * PAGE, p[i], PAGE, 1, RW);
            long iova = 0x1000_0000L + i * PAGE;
            assertEquals(rig.cpu.loadLong(Slots.at(other, rig.cpu, iova, 3)),
                    rig.cpu.loadLong(Slots.at(t, rig.cpu, iova, 3)));
        }
    }

    @Test
    void a_list_stops_at_the_end_of_the_last_level_table_and_honours_from() {
        long[] p = scattered(0x8000_0000L, 20);
        long iova = 2 * MIB - 8 * PAGE; // 8 entries left in this table
        assertEquals(8 * PAGE, t.mapPageList(iova, p, 4, 16, RW));
        assertEquals(OptionalLong.of(p[4]), t.iovaToPhys(iova));
        assertEquals(OptionalLong.of(p[11]), t.iovaToPhys(iova + 7 * PAGE));
        assertEquals(OptionalLong.empty(), t.iovaToPhys(2 * MIB));
        assertEquals(8 * PAGE, t.mapPageList(2 * MIB, p, 12, 8, RW), "the next table");
        assertEquals(OptionalLong.of(p[19]), t.iovaToPhys(2 * MIB + 7 * PAGE));
    }

    @Test
    void bad_pages_are_refused_naming_them_and_nothing_is_mapped() {
        long[] p = scattered(0x8000_0000L, 8);
        p[5] = 0x8000_0800L;
        UnalignedException u = assertThrows(UnalignedException.class,
                () -> t.mapPageList(0, p, 0, 8, RW));
        assertTrue(u.getMessage().contains("paddr=0x80000800 (page 5)"), u.getMessage());
        p[5] = 1L << 48;
        OutOfRangeException o = assertThrows(OutOfRangeException.class,
                () -> t.mapPageList(0, p, 0, 8, RW));
        assertTrue(o.getMessage().contains("page 5"), o.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.mapPageList(0, p, 0, 0, RW));
        assertThrows(IndexOutOfBoundsException.class, () -> t.mapPageList(0, p, 4, 5, RW));
        assertThrows(InvalidProtException.class, () -> t.mapPageList(0, p, 0, 1, IommuProt.NONE));
        assertThrows(UnalignedException.class, () -> t.mapPageList(0x800, p, 0, 1, RW));
        assertEquals(0, t.leafCount());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0));
    }

    @Test
    void a_mapped_page_in_the_way_is_named_and_nothing_of_the_list_is_mapped() {
        t.mapPages(5 * PAGE, 0x9000_0000L, PAGE, 1, RW);
        long[] p = scattered(0x8000_0000L, 8);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPageList(0, p, 0, 8, RW));
        assertTrue(e.getMessage().contains("iova=0x5000"), e.getMessage());
        assertEquals(1, t.leafCount());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0));
        assertEquals(OptionalLong.of(0x9000_0000L), t.iovaToPhys(5 * PAGE));
    }

    @Test
    void a_run_of_entries_is_read_and_written_one_access_per_line() {
        long[] p = scattered(0x8000_0000L, 512);
        t.mapPages(0, 0x7000_0000L, PAGE, 1, RW); // the tables down to the last level exist
        int lineSize = rig.cpu.lineSize();
        long perLine = lineSize / 8;
        // 3 upper entries, then 511 entries checked and written: 64 lines each way
        long map = rig.lineAccesses(() -> t.mapPageList(PAGE, p, 0, 511, RW));
        assertEquals(3 + 2 * ((511 + perLine - 1) / perLine), map);
        long mapPages = rig.lineAccesses(() -> t.unmapPages(0, PAGE, 512, new IotlbGather()));
        assertEquals(3 + 2 * 512 / perLine, mapPages, "unmap reads and clears the run the same way");
        long contiguous = rig.lineAccesses(() -> t.mapPages(0, 0x6000_0000L, PAGE, 512, RW));
        assertEquals(3 + 2 * 512 / perLine, contiguous, "and so does a contiguous map");
    }

    @Test
    void an_empty_list_and_a_bad_first_page_are_refused_naming_them() {
        long[] p = scattered(0x8000_0000L, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.mapPageList(0, p, 0, 0, RW));
        assertTrue(e.getMessage().startsWith("mapPageList: count=0"), e.getMessage());
        p[0] = 0x8000_0800L;
        UnalignedException u = assertThrows(UnalignedException.class,
                () -> t.mapPageList(0, p, 0, 2, RW));
        assertTrue(u.getMessage().contains("paddr=0x80000800 (page 0)"), u.getMessage());
        assertEquals(0, t.leafCount());
    }
}

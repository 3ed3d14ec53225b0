package org.dmalib.iommu.smmu.internal.pgtable;

import static org.dmalib.iommu.smmu.internal.pgtable.Rig.KIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/** PTEs reach RAM for a non-coherent walker (reference §4.9), and only then are cleaned. */
class NonCoherentWalkTest {
    private static final IommuProt RW = IommuProt.READ_WRITE;
    private static final long PAGE = 4 * KIB;
    private final Rig rig = new Rig();
    private final PhysicalMemory ram = rig.machine.memory();

    @Test
    void after_map_every_pte_on_the_path_is_in_ram() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), rig.flushOps(PAGE));
        long iova = 0x12_3456_7000L;
        t.mapPages(iova, 0x8000_0000L, PAGE, 4, RW);
        for (int level = 0; level <= 3; level++) {
            long slot = Slots.at(t, rig.cpu, iova, level);
            long cached = rig.cpu.loadLong(slot);
            assertNotEquals(0, cached);
            assertEquals(cached & ~LpaePte.SW_SYNC, ram.readLong(slot) & ~LpaePte.SW_SYNC,
                    "level " + level + ": RAM holds what the CPU wrote");
            if (level < 3) {
                assertTrue((cached & LpaePte.SW_SYNC) != 0, "table PTEs are marked cleaned");
            }
        }
        assertEquals(ram.readLong(Slots.at(t, rig.cpu, iova, 3) + 24),
                LpaePte.leaf(0x8000_3000L, LpaePte.protToPte(RW), 3), "the batch's last PTE too");
        assertEquals(0, rig.machine.writebacksInFlight(), "every clean was completed");
    }

    @Test
    void after_unmap_the_cleared_ptes_are_in_ram() {
        ArmLpaePageTable t = rig.table(Rig.config(16384, 48, false), rig.flushOps(16 * KIB));
        t.mapPages(32 * MIB, 0, 16 * KIB, 2, RW);
        long slot = Slots.at(t, rig.cpu, 32 * MIB, 3);
        assertNotEquals(0, ram.readLong(slot));
        t.unmapPages(32 * MIB, 16 * KIB, 2, new IotlbGather());
        assertEquals(0, ram.readLong(slot));
        assertEquals(0, ram.readLong(slot + 8));
    }

    @Test
    void a_new_table_is_zero_in_ram_even_over_stale_data() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), rig.flushOps(PAGE));
        t.mapPages(0x4000_0000L, 0, PAGE, 1, RW);
        long l3 = LpaePte.toPaddr(rig.cpu.loadLong(Slots.at(t, rig.cpu, 0x4000_0000L, 2)));
        t.unmapPages(0x4000_0000L, 2 * MIB, 1, new IotlbGather()); // frees the L3 table
        ram.writeLong(l3 + 8, 0xdead_0003L); // stale garbage the next user of the block finds
        t.mapPages(0x8000_0000L, 0, PAGE, 1, RW); // needs new L2 and L3 tables
        long reused = LpaePte.toPaddr(rig.cpu.loadLong(Slots.at(t, rig.cpu, 0x8000_0000L, 1)));
        assertEquals(l3, reused, "the freed block came back as the L2 table");
        assertEquals(0, ram.readLong(l3 + 8), "zeroed in RAM, not just in the cache");
    }

    @Test
    void a_coherent_walker_costs_no_cleans_a_non_coherent_one_does() {
        HwCounters start = rig.machine.counters();
        ArmLpaePageTable coherent = rig.table(Rig.config(4096, 48, true), rig.flushOps(PAGE));
        coherent.mapPages(0, 0, PAGE, 8, RW);
        coherent.unmapPages(0, PAGE, 8, new IotlbGather());
        coherent.mapPages(0x4000_0000L, 0, 2 * MIB, 1, RW);
        HwCounters mid = rig.machine.counters();
        assertEquals(0, mid.minus(start).linesCleaned());
        assertEquals(0, mid.minus(start).barriers());
        ArmLpaePageTable nc = rig.table(Rig.config(4096, 48, false), rig.flushOps(PAGE));
        nc.mapPages(0, 0, PAGE, 8, RW);
        HwCounters end = rig.machine.counters().minus(mid);
        // pgd + 3 tables of 64 lines each, 3 table PTEs, one line of 8 leaf PTEs
        assertEquals(4 * 64 + 3 + 1, end.linesCleaned());
        assertEquals(4 + 3 + 1, end.barriers(), "one per table, per table PTE, per leaf batch");
    }

    @Test
    void a_table_pte_another_cpu_has_not_cleaned_yet_is_cleaned_by_the_next_walker_down() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), rig.flushOps(PAGE));
        long iova = 0x8000_0000L;
        long pgdSlot = t.ttbr() + 8L * t.config().index(iova, 0);
        long l1 = rig.memory.allocate(4096); // fresh region memory: zero in RAM
        // another CPU's install, caught between its CAS and its clean: no SW_SYNC yet
        rig.machine.cpu(1).storeLong(pgdSlot, LpaePte.table(l1));
        HwCounters start = rig.machine.counters();
        t.mapPages(iova, 0, PAGE, 1, RW);
        HwCounters cost = rig.machine.counters().minus(start);
        // that entry, then L2 and L3 tables of 64 lines with their entries, and the leaf line
        assertEquals(1 + 2 * (64 + 1) + 1, cost.linesCleaned());
        assertEquals(LpaePte.table(l1), ram.readLong(pgdSlot));
        assertEquals(0, rig.machine.writebacksInFlight());
    }

    @Test
    void a_coherent_table_may_leave_ptes_dirty_in_the_cache() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), rig.flushOps(PAGE));
        t.mapPages(0x7000, 0x9000, PAGE, 1, RW);
        long slot = Slots.at(t, rig.cpu, 0x7000, 3);
        assertTrue(rig.cpu.isDirty(slot), "nothing cleaned: the walker snoops");
        assertEquals(0, ram.readLong(slot));
    }

    @Test
    void after_a_page_list_map_its_leaf_ptes_are_in_ram() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), rig.flushOps(PAGE));
        long iova = 0x4000_0000L;
        long[] pages = {0x8000_0000L, 0x8000_2000L, 0x8000_4000L};
        t.mapPageList(iova, pages, 0, 3, RW);
        long slot = Slots.at(t, rig.cpu, iova, 3);
        for (int i = 0; i < 3; i++) {
            assertEquals(LpaePte.leaf(pages[i], LpaePte.protToPte(RW), 3), ram.readLong(slot + 8L * i),
                    "page " + i);
        }
        assertEquals(0, rig.machine.writebacksInFlight());
    }

    @Test
    void a_removed_table_entry_is_zero_in_ram_when_the_walk_cache_is_flushed() {
        RecordingFlushOps ops = rig.flushOps(PAGE);
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), ops);
        long region = 0x4000_0000L;
        t.mapPages(region, 0, PAGE, 1, RW);
        long slot = Slots.at(t, rig.cpu, region, 2);
        List<Long> inRam = new ArrayList<>();
        ops.onWalk(w -> inRam.add(ram.readLong(slot)));
        t.unmapPages(region, 2 * MIB, 1, new IotlbGather());
        assertEquals(List.of(0L), inRam, "a walker reading RAM can no longer reach the table");
    }

    @Test
    void a_run_that_unmaps_nothing_cleans_nothing() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), rig.flushOps(PAGE));
        t.mapPages(0, 0x8000_0000L, PAGE, 1, RW);
        HwCounters start = rig.machine.counters();
        assertEquals(0, t.unmapPages(PAGE, PAGE, 4, new IotlbGather()), "a hole in the table");
        HwCounters cost = rig.machine.counters().minus(start);
        assertEquals(0, cost.linesCleaned());
        assertEquals(0, cost.barriers());
    }
}

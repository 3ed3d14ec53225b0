package org.dmalib.iommu.smmu.internal.pgtable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lock-free table growth (reference §4.4 {@code install_table}): CPUs map and unmap disjoint
 * pages that share every table, so installs race; the losers' tables must be freed and every
 * mapping must land in the winners' tables.
 */
class ConcurrentMapUnmapTest {
    private static final long PAGE = 4096;
    private static final int THREADS = 4;
    private static final int REGIONS = 32; // 2 MiB regions: 32 L3 tables under one L2 table
    private static final int PER_REGION = 8; // pages per thread per region
    private static final long BASE = 0x7f_4000_0000L; // 1 GiB aligned: all regions share L0-L2
    private static final long PA = 0x8000_0000L;
    private static final long PA_REMAP = 0xc000_0000L;

    private final Rig rig = new Rig();

    /** Page {@code k} of thread {@code thread} in {@code region}: interleaved with the others. */
    private static long pageIndex(int thread, int region, int k) {
        return region * 512L + (long) k * THREADS + thread;
    }

    /** Where page {@code p} ends up: remapped pages (even k) moved to the second range. */
    private static long expectedPa(long p, int k) {
        return (k % 2 == 0 ? PA_REMAP : PA) + p * PAGE;
    }

    @ParameterizedTest(name = "coherent walk {0}")
    @ValueSource(booleans = {true, false})
    void four_cpus_map_and_unmap_disjoint_pages_in_shared_tables(boolean coherent) throws Exception {
        RecordingFlushOps ops = rig.flushOps(PAGE);
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, coherent), ops);
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                int thread = i;
                ArmLpaePageTable view = t.onCpu(rig.machine.cpu(thread));
                done.add(pool.submit(() -> {
                    work(view, thread, barrier);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int thread = 0; thread < THREADS; thread++) {
            for (int r = 0; r < REGIONS; r++) {
                for (int k = 0; k < PER_REGION; k++) {
                    long p = pageIndex(thread, r, k);
                    assertEquals(OptionalLong.of(expectedPa(p, k)), t.iovaToPhys(BASE + p * PAGE));
                }
            }
        }
        assertEquals(1 + 1 + 1 + REGIONS, t.reachableTables(), "pgd, L1, L2, one L3 per region");
        assertEquals(t.reachableTables(), t.tablesInUse(), "no loser table leaked");
        assertEquals(t.tablesInUse(), rig.memory.blocksInUse());
        assertEquals(List.of(), ops.walks());
        assertEquals(THREADS * REGIONS * PER_REGION / 2, ops.pages().size());
        deviceSeesEveryMapping(t);
    }

    private static void work(ArmLpaePageTable t, int thread, CyclicBarrier barrier) throws Exception {
        for (int r = 0; r < REGIONS; r++) {
            barrier.await(); // all CPUs enter each region together: its L3 install races
            for (int k = 0; k < PER_REGION; k++) {
                long p = pageIndex(thread, r, k);
                assertEquals(PAGE, t.mapPages(BASE + p * PAGE, PA + p * PAGE, PAGE, 1,
                        IommuProt.READ_WRITE));
            }
        }
        IotlbGather gather = new IotlbGather();
        for (int r = 0; r < REGIONS; r++) {
            for (int k = 0; k < PER_REGION; k += 2) {
                long p = pageIndex(thread, r, k);
                assertEquals(PAGE, t.unmapPages(BASE + p * PAGE, PAGE, 1, gather));
                assertEquals(PAGE, t.mapPages(BASE + p * PAGE, PA_REMAP + p * PAGE, PAGE, 1,
                        IommuProt.READ_WRITE));
            }
        }
    }

    /** Every mapping, read by a device through the SMMU's walker, reaches its page. */
    private void deviceSeesEveryMapping(ArmLpaePageTable t) {
        PhysicalMemory ram = rig.machine.memory();
        DmaPort port = new SmmuHarness(rig.machine).attach(1, 1, t);
        byte[] word = new byte[8];
        for (int thread = 0; thread < THREADS; thread++) {
            for (int r = 0; r < REGIONS; r++) {
                for (int k = 0; k < PER_REGION; k++) {
                    long p = pageIndex(thread, r, k);
                    long marker = 0x5a00_0000_0000L | p;
                    ram.writeLong(expectedPa(p, k) + 0x40, marker);
                    assertEquals(DmaStatus.OK, port.read(BASE + p * PAGE + 0x40, word, 0, 8));
                    long got = 0;
                    for (int b = 7; b >= 0; b--) {
                        got = (got << 8) | (word[b] & 0xff);
                    }
                    assertEquals(marker, got, "page " + p);
                }
            }
        }
    }

    @Test
    void a_lost_install_race_frees_the_losers_table_and_continues_in_the_winners() {
        RecordingFlushOps ops = rig.flushOps(PAGE);
        ArmLpaePageTable[] winner = new ArmLpaePageTable[1];
        RacingCpu racing = new RacingCpu(rig.cpu,
                () -> winner[0].mapPages(BASE + PAGE, PA + PAGE, PAGE, 1, IommuProt.READ_WRITE));
        ArmLpaePageTable loser = ArmLpaePageTable.allocate(
                Rig.config(4096, 48, true), racing, rig.memory, ops);
        winner[0] = loser.onCpu(rig.machine.cpu(1));
        assertEquals(PAGE, loser.mapPages(BASE, PA, PAGE, 1, IommuProt.READ_WRITE));
        assertEquals(1, loser.lostInstallRaces(), "the L1 install lost to the rival's");
        assertEquals(OptionalLong.of(PA), loser.iovaToPhys(BASE));
        assertEquals(OptionalLong.of(PA + PAGE), loser.iovaToPhys(BASE + PAGE));
        assertEquals(4, loser.reachableTables());
        assertEquals(4, loser.tablesInUse());
        assertEquals(4, rig.memory.blocksInUse(), "the loser's L1 table went back");
        assertTrue(ops.calls() == 0);
    }
}

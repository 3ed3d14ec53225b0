package org.dmalib.iommu.smmu.internal.pgtable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random maps (pages, blocks, page lists) and unmaps checked against a reference of leaves after
 * every step: each translation, the leaf count, the tables reachable against those counted and
 * the table memory's blocks; for a non-coherent walker also a walk of RAM itself, what the SMMU
 * would read. Overlaps follow Linux ≥ 6.13: a map over a leaf (or over a table that still maps
 * one, which the model refuses where Linux would drop it) fails and changes nothing, a map over
 * an empty table replaces it, an unmap at a block size takes a whole table's leaves with it, and
 * an unmap inside a bigger block is refused.
 */
class RandomOpsTest {
    private static final int STEPS = 250;
    private static final long PA_RANGE = 2L << 30;

    private Rig rig;
    private LpaeConfig config;
    private ArmLpaePageTable table;
    private Random random;
    // leaf start -> {paddr, size}
    private final TreeMap<Long, long[]> ref = new TreeMap<>();
    private long window;

    @ParameterizedTest(name = "granule {0} ias {1} coherent {2}")
    @CsvSource({"4096, 48, true", "4096, 39, false", "4096, 30, true", "4096, 16, false",
        "16384, 48, false", "16384, 36, true", "65536, 48, true", "65536, 30, false"})
    void random_maps_and_unmaps_agree_with_a_reference(int granule, int ias, boolean coherent) {
        for (long seed = 0; seed < 6; seed++) {
            rig = new Rig();
            config = Rig.config(granule, ias, coherent);
            table = rig.table(config, rig.flushOps(granule));
            random = new Random(seed);
            ref.clear();
            window = Math.min(1L << ias, 8L << 30);
            long[] sizes = LongStream.range(0, Long.SIZE)
                    .filter(b -> (config.pageSizes().bitmap() >>> b & 1) != 0)
                    .map(b -> 1L << b).filter(s -> s <= window / 2 || s == granule).toArray();
            for (int step = 0; step < STEPS; step++) {
                String at = "seed " + seed + " step " + step;
                long pgsize = sizes[random.nextInt(sizes.length)];
                long iova = random.nextInt((int) Math.min(window / pgsize, 1 << 20)) * pgsize;
                int op = random.nextInt(4);
                if (op == 0) {
                    mapList(iova & -(long) granule, at);
                } else if (op == 1) {
                    unmap(iova, pgsize, at);
                } else {
                    map(iova, pgsize, at);
                }
                check(at);
            }
            table.free();
            assertEquals(0, rig.memory.blocksInUse());
            assertEquals(0, table.leafCount());
        }
    }

    private void map(long iova, long pgsize, String at) {
        long count = 1L + random.nextInt(random.nextBoolean() ? 3 : 600);
        long n = Math.min(count, config.maxEntries(iova, config.levelOf(pgsize)));
        long paddr = random.nextInt(1 << 10) * pgsize % PA_RANGE;
        if (overlapsLeaf(iova, n * pgsize)) {
            assertThrows(AlreadyMappedException.class,
                    () -> table.mapPages(iova, paddr, pgsize, count, IommuProt.READ_WRITE), at);
            return;
        }
        // nothing mapped in the range: any table in the way is empty and is replaced
        assertEquals(n * pgsize, table.mapPages(iova, paddr, pgsize, count, IommuProt.READ_WRITE),
                at);
        for (long k = 0; k < n; k++) {
            ref.put(iova + k * pgsize, new long[] {paddr + k * pgsize, pgsize});
        }
    }

    private void mapList(long iova, String at) {
        long g = config.granule();
        int count = 1 + random.nextInt(40);
        long[] paddrs = new long[count + 2];
        for (int i = 0; i < paddrs.length; i++) {
            paddrs[i] = random.nextInt(1 << 15) * g % PA_RANGE;
        }
        int n = Math.min(count, config.maxEntries(iova, LpaeConfig.LAST_LEVEL));
        if (overlapsLeaf(iova, n * g)) {
            assertThrows(AlreadyMappedException.class,
                    () -> table.mapPageList(iova, paddrs, 1, count, IommuProt.READ), at);
            return;
        }
        assertEquals(n * g, table.mapPageList(iova, paddrs, 1, count, IommuProt.READ), at);
        for (int k = 0; k < n; k++) {
            ref.put(iova + k * g, new long[] {paddrs[1 + k], g});
        }
    }

    private void unmap(long iova, long pgsize, String at) {
        long count = 1L + random.nextInt(random.nextBoolean() ? 3 : 600);
        Map.Entry<Long, long[]> cover = ref.floorEntry(iova);
        if (cover != null && cover.getValue()[1] > pgsize
                && cover.getKey() + cover.getValue()[1] > iova) {
            assertThrows(PartialUnmapException.class,
                    () -> table.unmapPages(iova, pgsize, count, new IotlbGather()), at);
            return;
        }
        long n = Math.min(count, config.maxEntries(iova, config.levelOf(pgsize)));
        long k = 0;
        // entry by entry until the first hole: a leaf of pgsize, or a table with everything in it
        for (; k < n; k++) {
            long a = iova + k * pgsize;
            Map<Long, long[]> under = ref.subMap(a, a + pgsize);
            if (under.isEmpty() && !hasTable(a, pgsize)) {
                break;
            }
            under.clear();
        }
        assertEquals(k * pgsize, table.unmapPages(iova, pgsize, count, new IotlbGather()), at);
    }

    /** Whether the entry of {@code pgsize} at {@code iova} is a table (possibly an empty one). */
    private boolean hasTable(long iova, long pgsize) {
        int level = config.levelOf(pgsize);
        long t = table.ttbr();
        for (int l = config.startLevel(); ; l++) {
            long pte = rig.cpu.loadLong(PteAccess.entry(t, config.index(iova, l)));
            if (!LpaePte.isTable(pte, l)) {
                return false;
            }
            if (l == level) {
                return true;
            }
            t = LpaePte.toPaddr(pte);
        }
    }

    /** Whether a reference leaf maps a byte of {@code [iova, iova + size)}. */
    private boolean overlapsLeaf(long iova, long size) {
        Map.Entry<Long, long[]> below = ref.floorEntry(iova);
        if (below != null && below.getKey() + below.getValue()[1] > iova) {
            return true;
        }
        return !ref.subMap(iova, iova + size).isEmpty();
    }

    private void check(String at) {
        assertEquals(ref.size(), table.leafCount(), at);
        assertEquals(table.reachableTables(), table.tablesInUse(), at);
        assertEquals(table.tablesInUse(), rig.memory.blocksInUse(), at);
        for (int q = 0; q < 16; q++) {
            long a = (random.nextLong() & Long.MAX_VALUE) % window;
            Map.Entry<Long, long[]> e = ref.floorEntry(a);
            OptionalLong want = e != null && e.getKey() + e.getValue()[1] > a
                    ? OptionalLong.of(e.getValue()[0] + (a - e.getKey())) : OptionalLong.empty();
            assertEquals(want, table.iovaToPhys(a), at + String.format(" iova=0x%x", a));
            if (!config.coherentWalk()) {
                assertEquals(want, ramWalk(a), at + String.format(" in RAM, iova=0x%x", a));
            }
        }
    }

    /** Walks the tables as RAM holds them, as a non-coherent walker reads them. */
    private OptionalLong ramWalk(long iova) {
        long t = table.ttbr();
        for (int l = config.startLevel(); ; l++) {
            long pte = rig.machine.memory().readLong(PteAccess.entry(t, config.index(iova, l)));
            if (LpaePte.isLeaf(pte, l)) {
                return OptionalLong.of(LpaePte.toPaddr(pte) | (iova & (config.blockSize(l) - 1)));
            }
            if (!LpaePte.isTable(pte, l)) {
                return OptionalLong.empty();
            }
            t = LpaePte.toPaddr(pte);
        }
    }
}

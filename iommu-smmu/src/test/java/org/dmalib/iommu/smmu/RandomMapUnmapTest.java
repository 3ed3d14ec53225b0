package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageRun;
import org.dmalib.iommu.api.PageSizes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random maps and unmaps on one domain, checked step by step against a model of what is
 * mapped: maps of pages and blocks anywhere in the input range (its top included) are refused
 * exactly when they overlap, unmaps of a mapped range alone or with the range after it (across
 * table boundaries at every level), and of the largest page's whole region around a range (its
 * table tree freed at once), return their bytes, the table's leaf count and the driver's
 * live-entry count follow the model, translations match it, and unmapping everything then freeing
 * the domain returns every table. Shapes: the three granules at input sizes from a one-level
 * table (64 KiB at 30 bits, 16 KiB at 25) to four levels (48 bits).
 */
class RandomMapUnmapTest {
    private static final int STEPS = 400;
    private static final long PADDR = 1L << 30; // aligned for every block size up to 1 GiB

    /** A mapped range and the leaf entries its map wrote. */
    private record Range(long iova, long paddr, long size, long leaves) {}

    static Stream<Arguments> shapes() {
        int[][] shapes = {{1 << 12, 30}, {1 << 12, 32}, {1 << 12, 39}, {1 << 12, 40},
            {1 << 12, 48}, {1 << 14, 25}, {1 << 14, 36}, {1 << 14, 48}, {1 << 16, 30},
            {1 << 16, 42}, {1 << 16, 48}};
        List<Arguments> out = new ArrayList<>();
        for (int[] s : shapes) {
            for (int seed = 0; seed < 3; seed++) {
                out.add(Arguments.of(s[0], s[1], seed));
            }
        }
        return out.stream();
    }

    /** The leaf entries a map of the range writes: iommu_pgsize's pages, as the core maps them. */
    private static long leaves(PageSizes sizes, long iova, long paddr, long size) {
        long n = 0;
        for (long done = 0; done < size; ) {
            PageRun r = sizes.pgsize(iova + done, paddr + done, size - done);
            n += r.pgcount();
            done += r.pgsize() * r.pgcount();
        }
        return n;
    }

    @ParameterizedTest(name = "granule={0} ias={1} seed={2}")
    @MethodSource("shapes")
    void the_domain_follows_a_model_of_its_mappings(int granule, int ias, int seed) {
        Rig rig = new Rig(SmmuConfig.gem5().withCoherentWalk(seed != 1));
        InvalidationStrategy strategy = List.of(InvalidationStrategy.LINUX,
                InvalidationStrategy.PER_PAGE, InvalidationStrategy.OPTIMAL).get(seed);
        IommuDomain d = rig.driver.allocateDomain(DomainType.UNMANAGED, strategy, granule, ias);
        SmmuDomain ops = rig.driver.domainOps(d);
        PageSizes sizes = d.pageSizes();
        long top = 1L << ias;
        long largest = sizes.maxPageSize();
        int blocksBefore = rig.tables.blocksInUse();
        Random rnd = new Random(31L * seed + ias + granule);
        TreeMap<Long, Range> model = new TreeMap<>();
        int regionUnmaps = 0;
        for (int step = 0; step < STEPS; step++) {
            if (model.isEmpty() || rnd.nextInt(3) > 0) {
                long size = (long) granule * (1 + rnd.nextInt(8));
                if (rnd.nextInt(4) == 0) {
                    size = Math.min(largest * (1 + rnd.nextInt(3)), top / 2)
                            + (long) granule * rnd.nextInt(3);
                }
                // aligned to a random power of two from the granule up to twice the largest page
                int maxShift = 63 - Long.numberOfLeadingZeros(Math.min(2 * largest, top));
                long align = 1L << rnd.nextInt(Integer.numberOfTrailingZeros(granule), maxShift + 1);
                long iova = rnd.nextInt(5) == 0
                        ? top - size
                        : Math.floorMod(rnd.nextLong(), top) & -align;
                if (iova < 0 || size > top - iova) {
                    continue; // outside the aperture: the core's refusal, tested elsewhere
                }
                // the physical address shares the IOVA's offset in the largest page: blocks fit
                long paddr = PADDR + (iova & (Math.min(largest, PADDR) - 1));
                Map.Entry<Long, Range> below = model.floorEntry(iova + size - 1);
                boolean overlaps = below != null
                        && below.getValue().iova() + below.getValue().size() > iova;
                try {
                    d.map(iova, paddr, size, IommuProt.READ_WRITE);
                    assertFalse(overlaps, "mapped over " + below);
                    model.put(iova, new Range(iova, paddr, size, leaves(sizes, iova, paddr, size)));
                } catch (AlreadyMappedException e) {
                    assertTrue(overlaps, "refused without an overlap: " + e.getMessage());
                }
            } else if (rnd.nextInt(6) == 0) {
                // one unmap of the largest page's whole region around a mapped range: the table
                // (or block) of that region goes at once, with every range inside it
                Range some = new ArrayList<>(model.values()).get(rnd.nextInt(model.size()));
                long region = some.iova() & -largest;
                List<Range> inside = new ArrayList<>(
                        model.subMap(region, region + largest).values());
                Map.Entry<Long, Range> before = model.lowerEntry(region);
                boolean straddles = (before != null
                        && before.getValue().iova() + before.getValue().size() > region)
                        || inside.stream().anyMatch(r -> r.iova() + r.size() > region + largest);
                if (straddles || region + largest > top) {
                    continue; // a range across the region's edge would be cut in two
                }
                assertEquals(largest, d.unmap(region, largest), "unmap of the region of " + some);
                inside.forEach(r -> model.remove(r.iova()));
                regionUnmaps++;
            } else {
                List<Long> starts = new ArrayList<>(model.keySet());
                Range r = model.remove(starts.get(rnd.nextInt(starts.size())));
                Range next = model.get(r.iova() + r.size());
                long size = r.size();
                if (next != null && rnd.nextBoolean()) {
                    model.remove(next.iova());
                    size += next.size();
                }
                assertEquals(size, d.unmap(r.iova(), size), "unmap of " + r);
            }
            long want = model.values().stream().mapToLong(Range::leaves).sum();
            assertEquals(want, ops.table().leafCount(), "leaf count after step " + step);
            assertEquals(want, ops.flush().liveEntries(), "live entries after step " + step);
            if (step % 50 == 49) {
                for (Range r : model.values()) {
                    assertEquals(r.paddr(), d.iovaToPhys(r.iova()).getAsLong());
                    long last = r.iova() + r.size() - 1;
                    assertEquals(r.paddr() + r.size() - 1, d.iovaToPhys(last).getAsLong());
                }
            }
        }
        for (Range r : model.values()) {
            assertEquals(r.size(), d.unmap(r.iova(), r.size()));
        }
        assertEquals(0, ops.table().leafCount());
        // a one-level table's largest page is the granule: nothing more than a page goes at once
        assertTrue(regionUnmaps > 0 || largest == granule, "no region was unmapped whole");
        rig.driver.freeDomain(d);
        assertEquals(blocksBefore - 1, rig.tables.blocksInUse(), "every table is freed");
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.CostModel;
import org.dmalib.iommu.api.internal.tlb.InvalidationPlanner;
import org.dmalib.iommu.api.internal.tlb.InvalidationRequest;
import org.dmalib.iommu.api.internal.tlb.RefillEstimate;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What tearing down a domain costs in commands, per strategy and RIL: a 4 KiB-granule domain of
 * N bytes mapped as 4 KiB leaves, unmapped as VFIO does ({@code unmap(0, N)}: the core splits by
 * {@code iommu_pgsize} into 2 MiB or 1 GiB "pages" that meet tables, so every leaf table goes with
 * a synchronous walk flush of the whole block at the 4 KiB granule, reference §4.5), then
 * {@code freeDomain}; and separately one strict unmap of 1000 pages. Counts are asserted against
 * the formulas of §5.2 to §5.4 (and against the planner for OPTIMAL, whose choice depends on the
 * cost model); wall time is printed, never asserted.
 *
 * <p>N is 64 MiB; {@code -Ddmalib.teardown.gib=G} (G from 1 to 31) runs G GiB instead (an opt-in measurement) and
 * the table printed at the end is the report.
 */
class TeardownCountsTest {
    private static final int SID = 7;
    private static final long PAGE = 4096;
    private static final long MAP_CHUNK = 256 * Rig.MIB; // each chunk aliases the same memory
    private static final long N = bytes();
    private static final List<String> ROWS = Collections.synchronizedList(new ArrayList<>());

    private static long bytes() {
        String gib = System.getProperty("dmalib.teardown.gib");
        return gib == null || gib.isBlank() ? 64 * Rig.MIB : Long.parseLong(gib.trim()) * Rig.GIB;
    }

    /** Commands a set of plans puts in the queue, batched 64 at a time, one sync per plan. */
    private record Counts(long va, long asid, long syncs, long batches) {
        static Counts of(List<TlbCommand> plan) {
            long va = plan.stream().filter(c -> c instanceof TlbCommand.TlbiNhVa).count();
            long asid = plan.stream().filter(c -> c instanceof TlbCommand.TlbiNhAsid).count();
            return new Counts(va, asid, 1, Math.max(1, ceil(va + asid, 64)));
        }

        Counts plus(Counts o) {
            return new Counts(va + o.va, asid + o.asid, syncs + o.syncs, batches + o.batches);
        }

        Counts times(long k) {
            return new Counts(va * k, asid * k, syncs * k, batches * k);
        }

        static Counts of(SmmuDriverCounters d) {
            return new Counts(d.tlbiNhVa(), d.tlbiNhAsid(), d.cmdSyncs(), d.batches());
        }
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b;
    }

    private static Rig rig(boolean ril) {
        return new Rig(SmmuConfig.gem5().withRangeInvalidation(ril));
    }

    private static long iotlbCapacity(Rig rig) {
        IotlbGeometry g = rig.smmu.config().iotlb();
        return Math.max(g.mainTlbEntries(), g.microTlbEntries());
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    @ParameterizedTest(name = "{0} ril={1}")
    @MethodSource("org.dmalib.iommu.smmu.Rig#strategiesWithAndWithoutRil")
    void tearing_down_a_domain_of_4k_leaves_costs_one_walk_flush_per_leaf_table_block(
            InvalidationStrategy strategy, boolean ril) {
        Rig rig = rig(ril);
        IommuDomain domain = rig.domain(strategy, (int) PAGE);
        int asid = rig.driver.domainOps(domain).asid();
        rig.driver.attach(domain, SID);
        long t0 = System.nanoTime();
        for (long at = 0; at < N; at += MAP_CHUNK) {
            // paddr 4 KiB off the IOVA's 2 MiB alignment: only 4 KiB leaves fit
            domain.map(at, Rig.DATA + PAGE, Math.min(MAP_CHUNK, N - at), IommuProt.READ_WRITE);
        }
        long mapped = System.nanoTime() - t0;
        long leaves = N / PAGE;
        assertEquals(leaves, rig.driver.domainOps(domain).flush().liveEntries());

        SmmuDriverCounters c0 = rig.driver.counters();
        long t1 = System.nanoTime();
        assertEquals(N, domain.unmap(0, N));
        long unmapped = System.nanoTime() - t1;
        SmmuDriverCounters c1 = rig.driver.counters();
        long liveAfter = rig.driver.domainOps(domain).flush().liveEntries();
        // the leaves under every freed table are gone from the count too, not one per block
        assertEquals(0, liveAfter, "live leaf entries after the whole range is unmapped");
        rig.driver.detach(SID);
        SmmuDriverCounters c2 = rig.driver.counters();
        long t2 = System.nanoTime();
        rig.driver.freeDomain(domain);
        long freed = System.nanoTime() - t2;
        Counts unmap = Counts.of(c1.minus(c0));
        Counts free = Counts.of(rig.driver.counters().minus(c2));

        // iommu_pgsize(0, 0, N): the biggest page size N allows; each one is a table to free
        long block = N >= Rig.GIB ? Rig.GIB : 2 * Rig.MIB;
        long tables = N / block;
        long pagesPerBlock = block / PAGE;
        Counts expected = switch (strategy) {
            // walk flushes: one TLBI per 4 KiB of every block; the leaf sync: one per block
            case PER_PAGE -> new Counts(leaves + tables, 0, tables + 1,
                    tables * ceil(pagesPerBlock, 64) + ceil(tables, 64));
            // RIL: one range command per walk flush (2^9 or 2^18 pages), one for the leaf sync
            // (N / 4 KiB = k * 2^s pages with k < 32 fits one window); without RIL a walk flush of >= 2 MiB is ASID-wide, and the leaf
            // sync at the block granule stays below (granule / 8) commands: one per block
            case LINUX -> ril
                    ? new Counts(tables + 1, 0, tables + 1, tables + 1)
                    : new Counts(tables, tables, tables + 1, tables + ceil(tables, 64));
            case OPTIMAL -> {
                long refillsAtWalk = Math.min(leaves, iotlbCapacity(rig));
                long refillsAtSync = Math.min(liveAfter, iotlbCapacity(rig));
                Counts walk = Counts.of(InvalidationPlanner.plan(strategy,
                        new InvalidationRequest(asid, 0, block, PAGE, false, PAGE, ril),
                        CostModel.GEM5, new RefillEstimate(refillsAtWalk, 4)));
                Counts sync = Counts.of(InvalidationPlanner.plan(strategy,
                        new InvalidationRequest(asid, 0, N, block, true, PAGE, ril),
                        CostModel.GEM5, new RefillEstimate(refillsAtSync, 4)));
                yield walk.times(tables).plus(sync);
            }
        };
        assertEquals(expected, unmap, "unmap(0, N) of " + tables + " leaf tables");
        assertEquals(new Counts(0, 1, 1, 1), free, "freeDomain: one TLBI_NH_ASID and its sync");
        ROWS.add(String.format("| teardown %5d MiB | %-8s | %-3s | %9d | %5d | %6d | %7d | %9.1f | %9.1f | %6.2f |",
                N / Rig.MIB, strategy, ril ? "on" : "off", unmap.va(), unmap.asid() + free.asid(),
                unmap.syncs() + free.syncs(), unmap.batches() + free.batches(), ms(mapped),
                ms(unmapped), ms(freed)));
    }

    @ParameterizedTest(name = "{0} ril={1}")
    @MethodSource("org.dmalib.iommu.smmu.Rig#strategiesWithAndWithoutRil")
    void a_strict_unmap_of_1000_pages_costs_what_the_formulas_say(
            InvalidationStrategy strategy, boolean ril) {
        Rig rig = rig(ril);
        IommuDomain domain = rig.domain(strategy, (int) PAGE);
        int asid = rig.driver.domainOps(domain).asid();
        rig.driver.attach(domain, SID);
        long iova = 0x8000_1000L; // 4 KiB past 2 MiB: unmapped as 4 KiB runs, no table freed
        long pages = 1000;
        domain.map(iova, Rig.DATA + PAGE, pages * PAGE, IommuProt.READ_WRITE);
        SmmuDriverCounters c0 = rig.driver.counters();
        long t0 = System.nanoTime();
        assertEquals(pages * PAGE, domain.unmap(iova, pages * PAGE));
        long took = System.nanoTime() - t0;
        Counts got = Counts.of(rig.driver.counters().minus(c0));
        Counts expected = switch (strategy) {
            case PER_PAGE -> new Counts(pages, 0, 1, ceil(pages, 64));
            case LINUX -> ril ? new Counts(2, 0, 1, 1) : new Counts(0, 1, 1, 1); // 4000 KiB >= 2 MiB
            case OPTIMAL -> Counts.of(InvalidationPlanner.plan(strategy,
                    new InvalidationRequest(asid, iova, pages * PAGE, PAGE, true, PAGE, ril),
                    CostModel.GEM5, new RefillEstimate(0, 4)));
        };
        assertEquals(expected, got);
        ROWS.add(String.format("| unmap 1000 pages    | %-8s | %-3s | %9d | %5d | %6d | %7d | %9s | %9.2f | %6s |",
                strategy, ril ? "on" : "off", got.va(), got.asid(), got.syncs(), got.batches(), "",
                ms(took), ""));
    }

    @AfterAll
    static void printTable() {
        List<String> rows = new ArrayList<>(ROWS);
        Collections.sort(rows);
        StringBuilder out = new StringBuilder();
        out.append(String.format("%nTeardown counts (4 KiB granule, 4 KiB leaves, N = %d MiB); "
                + "teardown = unmap(0, N) + freeDomain%n", N / Rig.MIB));
        out.append("| case               | strategy | RIL | TLBI_NH_VA | ASID | CMD_SYNC | doorbells |"
                + " map ms | unmap ms | free ms |\n");
        out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        rows.forEach(r -> out.append(r).append('\n'));
        System.out.print(out);
    }
}

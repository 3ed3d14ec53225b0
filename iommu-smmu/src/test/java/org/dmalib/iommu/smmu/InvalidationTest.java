package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.CostModel;
import org.dmalib.iommu.api.internal.tlb.InvalidationPlanner;
import org.dmalib.iommu.api.internal.tlb.InvalidationRequest;
import org.dmalib.iommu.api.internal.tlb.RefillEstimate;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** After a strict unmap no stale IOTLB entry survives, whatever the strategy and hardware. */
class InvalidationTest {
    private static final int SID = 7;
    private static final long PAGE = 4096;
    // not 2 MiB aligned: map and unmap both use 4 KiB pages (no table is freed)
    private static final long IOVA = 0x8000_1000L;
    private static final long NEIGHBOUR = 0x9000_0000L;

    static Stream<Arguments> matrix() {
        List<Arguments> out = new ArrayList<>();
        for (InvalidationStrategy s : InvalidationStrategy.values()) {
            for (boolean ril : new boolean[] {true, false}) {
                for (boolean coherent : new boolean[] {true, false}) {
                    out.add(Arguments.of(s, ril, coherent));
                }
            }
        }
        return out.stream();
    }

    private static Rig rig(boolean ril, boolean coherent) {
        return new Rig(SmmuConfig.gem5().withRangeInvalidation(ril).withCoherentWalk(coherent));
    }

    @ParameterizedTest(name = "{0} ril={1} coherent={2}")
    @MethodSource("matrix")
    void no_stale_entry_survives_a_strict_unmap(InvalidationStrategy strategy, boolean ril,
            boolean coherent) {
        Rig rig = rig(ril, coherent);
        IommuDomain domain = rig.domain(strategy, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        long pages = 600; // above the 512-command ASID-wide threshold of Linux without RIL
        domain.map(IOVA, Rig.DATA + PAGE, pages * PAGE, IommuProt.READ_WRITE); // 4 KiB pages only
        domain.map(NEIGHBOUR, Rig.DATA, 4 * PAGE, IommuProt.READ);
        Rig.assertReads(port, IOVA, pages * PAGE, PAGE, DmaStatus.OK); // fills the IOTLB
        Rig.assertReads(port, NEIGHBOUR, 4 * PAGE, PAGE, DmaStatus.OK);
        assertEquals(pages * PAGE, domain.unmap(IOVA, pages * PAGE));
        Rig.assertReads(port, IOVA, pages * PAGE, PAGE, DmaStatus.ABORT);
        Rig.assertReads(port, NEIGHBOUR, 4 * PAGE, PAGE, DmaStatus.OK);
        List<SmmuFault> faults = rig.driver.drainEvents();
        assertEquals(pages, faults.size());
        assertEquals(new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, SID, IOVA + PAGE, false, 0),
                faults.get(1));
    }

    static Stream<Arguments> counts() {
        return Stream.of(
                // strategy, ril, pages, TLBI_NH_VA, TLBI_NH_ASID, doorbells
                Arguments.of(InvalidationStrategy.LINUX, true, 1000, 2, 0, 1),
                Arguments.of(InvalidationStrategy.LINUX, true, 100, 1, 0, 1),
                Arguments.of(InvalidationStrategy.LINUX, false, 1000, 0, 1, 1),
                Arguments.of(InvalidationStrategy.LINUX, false, 100, 100, 0, 2),
                Arguments.of(InvalidationStrategy.PER_PAGE, true, 1000, 1000, 0, 16),
                Arguments.of(InvalidationStrategy.PER_PAGE, false, 65, 65, 0, 2),
                Arguments.of(InvalidationStrategy.PER_PAGE, false, 64, 64, 0, 1));
    }

    @ParameterizedTest(name = "{0} ril={1} pages={2}")
    @MethodSource("counts")
    void commands_per_unmap_match_linux_batching(InvalidationStrategy strategy, boolean ril,
            int pages, int va, int asid, int doorbells) {
        Rig rig = rig(ril, true);
        IommuDomain domain = rig.domain(strategy, (int) PAGE);
        rig.driver.attach(domain, SID);
        domain.map(IOVA, Rig.DATA + PAGE, pages * PAGE, IommuProt.READ_WRITE); // 4 KiB pages only
        SmmuCounters hw = rig.smmu.counters();
        SmmuDriverCounters before = rig.driver.counters();
        domain.unmap(IOVA, pages * PAGE);
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(va, d.tlbiNhVa());
        assertEquals(asid, d.tlbiNhAsid());
        assertEquals(1, d.cmdSyncs());
        assertEquals(doorbells, d.batches());
        SmmuCounters h = rig.smmu.counters().minus(hw);
        assertEquals(va, h.tlbiNhVa());
        assertEquals(asid, h.tlbiNhAsid());
        assertEquals(1, h.cmdSyncs());
    }

    @ParameterizedTest(name = "ril={0}")
    @MethodSource("rils")
    void optimal_issues_what_the_planner_plans(boolean ril) {
        Rig rig = rig(ril, true);
        IommuDomain domain = rig.domain(InvalidationStrategy.OPTIMAL, (int) PAGE);
        rig.driver.attach(domain, SID);
        long pages = 1000;
        long others = 3000; // live entries outside the range, capped by the 2048-entry TLB
        domain.map(NEIGHBOUR, Rig.DATA, others * PAGE, IommuProt.READ);
        domain.map(IOVA, Rig.DATA + PAGE, pages * PAGE, IommuProt.READ_WRITE); // 4 KiB pages only
        List<TlbCommand> plan = InvalidationPlanner.plan(InvalidationStrategy.OPTIMAL,
                new InvalidationRequest(rig.driver.domainOps(domain).asid(), IOVA, pages * PAGE,
                        PAGE, true, PAGE, ril),
                CostModel.GEM5, new RefillEstimate(2048, 4));
        SmmuDriverCounters before = rig.driver.counters();
        domain.unmap(IOVA, pages * PAGE);
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(plan.stream().filter(c -> c instanceof TlbCommand.TlbiNhVa).count(),
                d.tlbiNhVa());
        assertEquals(plan.stream().filter(c -> c instanceof TlbCommand.TlbiNhAsid).count(),
                d.tlbiNhAsid());
        assertEquals(1, d.cmdSyncs());
    }

    static Stream<Boolean> rils() {
        return Stream.of(true, false);
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/** The domain's flush ops as a page table calls them: pages gathered one at a time. */
class FlushOpsGatherTest {
    private static final int PAGE = 4096;

    @Test
    void a_page_added_to_the_gather_is_invalidated_by_the_sync_as_a_one_page_unmap_would_be() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, PAGE);
        SmmuDomain ops = rig.driver.domainOps(domain);
        long iova = 0x1234_5000L;
        IotlbGather gather = new IotlbGather();
        CommandRing ring = new CommandRing(rig.smmu, rig.machine.memory());
        ops.flush().addPage(gather, iova, PAGE);
        assertEquals(List.of(), ring.since(), "gathered, not yet issued");
        ops.iotlbSync(gather);
        List<CommandRing.Cmd> expected = UnmapPlan.of(SmmuConfig.gem5(),
                InvalidationStrategy.LINUX, PAGE, iova, PAGE).commands().stream()
                .map(UnmapPlanTest::cmd).toList();
        assertEquals(expected, ring.since());
    }
}

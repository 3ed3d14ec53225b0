package org.dmalib.iommu.smmu;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.internal.tlb.CostModel;
import org.dmalib.iommu.api.internal.tlb.InvalidationPlanner;
import org.dmalib.iommu.api.internal.tlb.InvalidationRequest;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.internal.tlb.RefillEstimate;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.smmu.internal.cmdq.CommandQueue;
import org.dmalib.iommu.smmu.internal.jfr.InvalidationEvent;

/**
 * One domain's TLB maintenance ({@code arm_smmu_flush_ops} and {@code arm_smmu_iotlb_sync},
 * reference §5.1): every invalidation is planned by the domain's strategy, encoded and submitted
 * with a CMD_SYNC, and waited for.
 *
 * <p>The refill estimate for {@link InvalidationStrategy#OPTIMAL} is the domain's live leaf
 * entries (counted by map and unmap) capped at the IOTLB's capacity, at one full walk each. During
 * a walk flush the entries being unmapped are still counted: a slight overestimate.
 *
 * <p>Thread-safety: safe for concurrent use (the command queue serialises submissions).
 */
final class DomainFlushOps implements FlushOps {
    private final int asid;
    private final InvalidationStrategy strategy;
    private final long minPageSize;
    private final boolean ril;
    private final long iotlbCapacity;
    private final CommandQueue queue;
    private final AtomicLong liveEntries = new AtomicLong();
    private volatile int levels = 1; // set once the table exists

    DomainFlushOps(int asid, InvalidationStrategy strategy, long minPageSize, boolean ril,
            long iotlbCapacity, CommandQueue queue) {
        this.asid = asid;
        this.strategy = strategy;
        this.minPageSize = minPageSize;
        this.ril = ril;
        this.iotlbCapacity = iotlbCapacity;
        this.queue = queue;
    }

    int asid() {
        return asid;
    }

    void setLevels(int walkLevels) {
        this.levels = walkLevels;
    }

    /**
     * Records how many leaf entries the domain's table holds now (the page table counts them,
     * blocks and the leaves under freed tables included); read by the refill estimate.
     */
    void setLiveEntries(long entries) {
        liveEntries.set(entries);
    }

    long liveEntries() {
        return liveEntries.get();
    }

    @Override
    public void flushAll() {
        // arm_smmu_tlb_inv_context for stage 1: TLBI_NH_ASID with CMD_SYNC
        InvalidationEvent event = new InvalidationEvent();
        event.start();
        List<TlbCommand> plan = InvalidationPlanner.asidWide(asid);
        queue.submit(plan);
        event.finish(InvalidationEvent.ASID, strategy, asid, 0, 0, 0, ril, plan);
    }

    @Override
    public void flushWalk(long iova, long size, long granule) {
        // arm_smmu_tlb_inv_walk: a non-leaf range invalidation, synced before returning
        invalidate(iova, size, granule, false);
    }

    @Override
    public void addPage(IotlbGather gather, long iova, long granule) {
        // arm_smmu_tlb_inv_page_nosync: everything leaf goes through the gather
        gather.addPage(iova, granule, this::iotlbSync);
    }

    @Override
    public void addPages(IotlbGather gather, long iova, long granule, long count) {
        // the pages one by one, merged in one step: only the first can sync early
        gather.addPages(iova, granule, count, this::iotlbSync);
    }

    /**
     * {@code arm_smmu_iotlb_sync}: invalidates the gathered range at the gathered page size and
     * waits; nothing when the gather is empty.
     *
     * @param gather the gather; left as it is (the caller resets it)
     */
    void iotlbSync(IotlbGather gather) {
        if (gather.pgsize() == 0) {
            return;
        }
        invalidate(gather.start(), gather.end() - gather.start() + 1, gather.pgsize(), true);
    }

    private void invalidate(long iova, long size, long granule, boolean leaf) {
        InvalidationEvent event = new InvalidationEvent();
        event.start();
        InvalidationRequest request =
                new InvalidationRequest(asid, iova, size, granule, leaf, minPageSize, ril);
        RefillEstimate refills =
                new RefillEstimate(Math.min(Math.max(liveEntries.get(), 0), iotlbCapacity), levels);
        List<TlbCommand> plan =
                InvalidationPlanner.plan(strategy, request, CostModel.GEM5, refills);
        queue.submit(plan);
        event.finish(leaf ? InvalidationEvent.LEAF : InvalidationEvent.WALK, strategy, asid, iova,
                size, granule, ril, plan);
    }
}

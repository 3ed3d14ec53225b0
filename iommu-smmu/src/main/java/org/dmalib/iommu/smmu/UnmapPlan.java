package org.dmalib.iommu.smmu;

import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.internal.tlb.CostModel;
import org.dmalib.iommu.api.internal.tlb.InvalidationPlanner;
import org.dmalib.iommu.api.internal.tlb.InvalidationRequest;
import org.dmalib.iommu.api.internal.tlb.RefillEstimate;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.dmalib.iommu.smmu.internal.pgtable.LpaeConfig;

/**
 * The commands this driver issues for one strict unmap of {@code size} bytes of granule-sized
 * leaf pages from {@code iova} in a domain with address space {@code asid}: what
 * {@code arm_smmu_iotlb_sync} submits for the gather such an unmap leaves (one leaf range at the
 * granule), for IOMMU engineers checking a driver against this one.
 *
 * <p>{@link #commands()} plans exactly as the driver's domain does on its sync: the same planner
 * call with the same request (leaf, the granule as both gathered page size and TG), the same
 * {@link SmmuCostModel#gem5() cost model}, and the same refill estimate for
 * {@link InvalidationStrategy#OPTIMAL} — the domain's live leaf entries after the unmap, capped
 * at the IOTLB's capacity, at one full walk ({@code levels} PTE reads) each. Only OPTIMAL depends
 * on those live entries; {@code otherLiveEntries} = 0 is a domain in which only this range was
 * mapped. No unmap that frees a leaf table is described here (the table model then adds a walk
 * flush, and the gather holds the block size): any unmap whose range covers an aligned 2 MiB at
 * 4 KiB (32 MiB at 16 KiB, 512 MiB at 64 KiB) does that, not only one of whole aligned blocks,
 * since the core's {@code iommu_pgsize} unmaps that part of the range at the block size.
 *
 * <p>Immutable and thread-safe.
 *
 * @param smmu the SMMU the driver probed: its RIL bit, granules, output size and IOTLB capacity
 * @param strategy the domain's strategy
 * @param granule the domain's granule: 4, 16 or 64 KiB, one {@code smmu} supports
 * @param ias the domain's input address bits: 16 to 48, more than log2(granule)
 * @param iova the first byte unmapped: a non-negative multiple of {@code granule}
 * @param size bytes unmapped: a positive multiple of {@code granule}; {@code iova + size} at
 *     most {@code 2^ias}
 * @param asid the domain's address space: 0 to 2^asidBits - 1 of {@code smmu}
 * @param otherLiveEntries leaf entries still mapped in the domain after the unmap: not negative
 */
public record UnmapPlan(SmmuConfig smmu, InvalidationStrategy strategy, int granule, int ias,
        long iova, long size, int asid, long otherLiveEntries) {

    /**
     * Validates the description.
     *
     * @param smmu the SMMU the driver probed: not null
     * @param strategy the domain's strategy: not null
     * @param granule the domain's granule: 4096, 16384 or 65536, and one {@code smmu} supports
     * @param ias the domain's input address bits: 16 to 48, and more than log2({@code granule})
     * @param iova the first byte unmapped: a non-negative multiple of {@code granule}
     * @param size bytes unmapped: a positive multiple of {@code granule}; {@code iova + size} at
     *     most {@code 2^ias}
     * @param asid the domain's address space: 0 to {@code 2^asidBits - 1} of {@code smmu}
     * @param otherLiveEntries leaf entries still mapped in the domain after the unmap: not negative
     * @throws IllegalArgumentException naming the bad value
     * @throws NullPointerException if {@code smmu} or {@code strategy} is null
     */
    public UnmapPlan {
        Objects.requireNonNull(smmu, "smmu");
        Objects.requireNonNull(strategy, "strategy");
        boolean supported = switch (granule) {
            case 1 << 12 -> smmu.granule4K();
            case 1 << 14 -> smmu.granule16K();
            case 1 << 16 -> smmu.granule64K();
            default -> false;
        };
        if (!supported) {
            throw new IllegalArgumentException("granule=" + granule
                    + " must be 4096, 16384 or 65536 and supported by the SMMU");
        }
        if (asid < 0 || asid >= 1 << smmu.asidBits()) {
            throw new IllegalArgumentException(
                    "asid=" + asid + " must be 0 to " + ((1 << smmu.asidBits()) - 1));
        }
        if (otherLiveEntries < 0) {
            throw new IllegalArgumentException(
                    "otherLiveEntries=" + otherLiveEntries + " must not be negative");
        }
        // the domain's shape and the request validate the rest, naming the value
        Objects.requireNonNull(lpae(smmu, granule, ias));
        Objects.requireNonNull(request(smmu, granule, iova, size, asid));
        // ias <= 48 (checked above) and iova, size >= 0: 2^ias - iova cannot overflow
        if (iova >= 1L << ias || size > (1L << ias) - iova) {
            throw new IllegalArgumentException(String.format(
                    "iova=0x%x size=0x%x ends past the domain's ias=%d bits", iova, size, ias));
        }
    }

    /**
     * Returns a plan for the default case: ASID 1 (the first one the driver allocates), IAS 48,
     * and no other live entry in the domain.
     *
     * @param smmu as for the canonical constructor
     * @param strategy the domain's strategy
     * @param granule as for the canonical constructor
     * @param iova as for the canonical constructor
     * @param size as for the canonical constructor
     * @return the description
     * @throws IllegalArgumentException naming the bad value
     */
    public static UnmapPlan of(SmmuConfig smmu, InvalidationStrategy strategy, int granule,
            long iova, long size) {
        return new UnmapPlan(smmu, strategy, granule, 48, iova, size, 1, 0);
    }

    /**
     * Returns the commands in queue order, the last one a {@code CMD_SYNC}. A per-page plan is
     * computed on demand: a list of a million commands holds a few numbers, not a million records.
     *
     * @return the commands; unmodifiable
     * @throws IllegalArgumentException if the plan cannot be expressed (a per-page plan of more
     *     than {@code Integer.MAX_VALUE - 1} commands), naming the size
     */
    public List<SmmuCommand> commands() {
        RefillEstimate refills = new RefillEstimate(
                Math.min(otherLiveEntries, capacity(smmu.iotlb())),
                lpae(smmu, granule, ias).levels());
        List<TlbCommand> plan = InvalidationPlanner.plan(strategy,
                request(smmu, granule, iova, size, asid), CostModel.GEM5, refills);
        return new View(plan);
    }

    private static LpaeConfig lpae(SmmuConfig smmu, int granule, int ias) {
        return new LpaeConfig(granule, ias, smmu.outputAddressBits(), smmu.coherentWalk());
    }

    private static InvalidationRequest request(SmmuConfig smmu, int granule, long iova, long size,
            int asid) {
        return new InvalidationRequest(asid, iova, size, granule, true, granule,
                smmu.rangeInvalidation());
    }

    /** The IOTLB capacity of {@code g} as the driver counts it: the larger of its two TLBs. */
    static long capacity(IotlbGeometry g) {
        return Math.max(g.mainTlbEntries(), g.microTlbEntries());
    }

    /** A plan seen as {@link SmmuCommand}s, each converted when read. */
    private static final class View extends AbstractList<SmmuCommand> implements RandomAccess {
        private final List<TlbCommand> plan;

        View(List<TlbCommand> plan) {
            this.plan = plan;
        }

        @Override
        public SmmuCommand get(int index) {
            return SmmuCommand.of(plan.get(index));
        }

        @Override
        public int size() {
            return plan.size();
        }
    }
}

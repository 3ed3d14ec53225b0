package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.internal.tlb.CostModel;

/**
 * Turns counted SMMU work into modelled nanoseconds: the cost model the driver's
 * {@link org.dmalib.iommu.api.InvalidationStrategy#OPTIMAL} planner prices its plans with, read
 * only. Its parameters and their sources:
 *
 * <ul>
 *   <li>one command (sync excluded) costs its fetch, one memory read: 30 ns, gem5
 *       {@code SimpleMemory.latency} ({@code src/mem/SimpleMemory.py});
 *   <li>one {@code CMD_SYNC} round trip: 300 ns, Linux {@code dma_map_benchmark} on an SMMUv3
 *       server (unmap_single 1.3 µs minus map_single 1.0 µs, all attributed to the sync: an
 *       upper bound);
 *   <li>one translation miss, page-table reads excluded: 27 cycles at 1 GHz (gem5 SMMUv3
 *       {@code ifc_smmu_lat} 8 + {@code utlb_lat} 1 + {@code tlb_lat} 3 + {@code cfg_lat} 3 +
 *       {@code walk_lat} 4 + {@code smmu_ifc_lat} 8);
 *   <li>one page-table entry read by a walk: one memory read, 30 ns.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class SmmuCostModel {
    private static final SmmuCostModel GEM5 = new SmmuCostModel(CostModel.GEM5);

    private final CostModel model;

    private SmmuCostModel(CostModel model) {
        this.model = model;
    }

    /** {@return the model with gem5's parameters (class Javadoc): the one the driver uses} */
    public static SmmuCostModel gem5() {
        return GEM5;
    }

    /** {@return the modelled cost of one command, sync excluded, in nanoseconds} */
    public double commandNanos() {
        return model.commandNs();
    }

    /** {@return the modelled cost of one {@code CMD_SYNC} round trip, in nanoseconds} */
    public double syncNanos() {
        return model.syncNs();
    }

    /**
     * Returns the modelled time of counted work.
     *
     * @param commands commands written to the queue, syncs excluded: not negative
     * @param syncs {@code CMD_SYNC}s waited for: not negative
     * @param misses translation misses (refills): not negative
     * @param pteReads page-table entries read by the walks: not negative
     * @return nanoseconds
     * @throws IllegalArgumentException naming a negative count
     */
    public double nanos(long commands, long syncs, long misses, long pteReads) {
        return model.nanos(commands, syncs, misses, pteReads);
    }
}

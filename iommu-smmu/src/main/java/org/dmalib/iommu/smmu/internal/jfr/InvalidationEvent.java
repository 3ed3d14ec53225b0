package org.dmalib.iommu.smmu.internal.jfr;

import java.util.List;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;

/**
 * One IOTLB invalidation of a domain by the driver ({@code arm_smmu_iotlb_sync},
 * {@code arm_smmu_tlb_inv_walk}, {@code arm_smmu_tlb_inv_context}): what was asked, the plan its
 * strategy chose, timed from {@link #start()} (before planning) to {@link #finish} (after the
 * plan's CMD_SYNC completed).
 *
 * <p>Not thread-safe: one event per call, on the calling thread.
 */
@Name("org.dmalib.SmmuInvalidation")
@Label("SMMU Driver Invalidation")
@Category({"dmalib", "SMMUv3 driver"})
@Description("An IOTLB invalidation of one domain: request, strategy and the planned commands")
public final class InvalidationEvent extends TimedEvent {
    /** {@link #finish} kind of a leaf range invalidation (iotlb_sync of a gather). */
    public static final String LEAF = "leaf";
    /** {@link #finish} kind of a walk flush (tables freed: non-leaf). */
    public static final String WALK = "walk";
    /** {@link #finish} kind of a whole-domain invalidation (flush_iotlb_all, free). */
    public static final String ASID = "asid";

    @Label("Kind")
    @Description("leaf (a gathered unmap), walk (freed tables) or asid (the whole domain)")
    String kind;

    @Label("Strategy")
    String strategy;

    @Label("ASID")
    int asid;

    @Label("IOVA")
    @Description("The first IOVA of the range; 0 for kind asid")
    @MemoryAddress
    long iova;

    @Label("Size")
    @Description("Bytes of the range; 0 for kind asid")
    @DataAmount
    long size;

    @Label("Granule")
    @Description("The leaf size of the range (the gather's page size, or the table's granule);"
            + " 0 for kind asid")
    @DataAmount
    long granule;

    @Label("Commands")
    @Description("Commands in the plan, its CMD_SYNC included")
    int commands;

    @Label("TLBI Commands")
    @Description("Invalidation commands in the plan")
    int tlbiCommands;

    @Label("Range Invalidation")
    @Description("Whether the SMMU advertises RIL (range TLBI_NH_VA)")
    boolean ril;


    /** Creates an event; call {@link #start()} before planning. */
    public InvalidationEvent() {}


    /**
     * Ends the event and commits it if a recording wants it; fills nothing otherwise.
     *
     * @param kind {@link #LEAF}, {@link #WALK} or {@link #ASID}
     * @param strategy the domain's strategy
     * @param asid the domain's ASID
     * @param iova the first IOVA (0 for {@link #ASID})
     * @param size the bytes (0 for {@link #ASID})
     * @param granule the leaf size (0 for {@link #ASID})
     * @param ril whether the SMMU has range invalidation
     * @param plan the commands submitted
     */
    public void finish(String kind, InvalidationStrategy strategy, int asid, long iova, long size,
            long granule, boolean ril, List<TlbCommand> plan) {
        if (!stop()) {
            return;
        }
        this.kind = kind;
        this.strategy = strategy.name();
        this.asid = asid;
        this.iova = iova;
        this.size = size;
        this.granule = granule;
        this.ril = ril;
        this.commands = plan.size();
        int tlbi = 0;
        for (TlbCommand c : plan) {
            if (!(c instanceof TlbCommand.CmdSync)) {
                tlbi++;
            }
        }
        this.tlbiCommands = tlbi;
        commit();
    }
}

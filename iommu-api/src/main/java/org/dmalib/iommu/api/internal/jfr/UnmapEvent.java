package org.dmalib.iommu.api.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;

/**
 * One {@code unmap} (with its IOTLB sync) or {@code unmapFast} (invalidations left in the caller's
 * gather) of an IOMMU domain, timed from {@link #start()} to {@link #finish}. The core knows no
 * device (see {@link MapEvent}).
 *
 * <p>Not thread-safe: one event per call, on the calling thread.
 */
@Name("org.dmalib.Unmap")
@Label("IOMMU Unmap")
@Category({"dmalib", "IOMMU"})
@Description("IommuDomain.unmap (synced) or GatheringDomain.unmapFast (gathered)")
public final class UnmapEvent extends TimedEvent {
    @Label("IOVA")
    @MemoryAddress
    long iova;

    @Label("Size")
    @Description("The bytes asked for")
    @DataAmount
    long size;

    @Label("Unmapped")
    @Description("The bytes unmapped; -1 if the call threw, even after unmapping some (which"
            + " unmap still synced)")
    @DataAmount
    long unmapped;

    @Label("Synced")
    @Description("True for unmap (the IOTLB was invalidated and synced before it returned);"
            + " false for unmapFast (the caller's gather holds the invalidation)")
    boolean synced;

    @Label("Domain Type")
    String domainType;

    @Label("Strategy")
    @Description("The domain's invalidation strategy")
    String strategy;


    /** Creates an event; call {@link #start()} before the unmap. */
    public UnmapEvent() {}


    /**
     * Ends the event and commits it if a recording wants it; fills nothing otherwise.
     *
     * @param iova the IOVA asked for
     * @param size the bytes asked for
     * @param unmapped the bytes unmapped, or -1 if the call threw
     * @param synced whether the call synced the IOTLB itself
     * @param type the domain's type
     * @param strategy the domain's invalidation strategy
     */
    public void finish(long iova, long size, long unmapped, boolean synced, DomainType type,
            InvalidationStrategy strategy) {
        if (!stop()) {
            return;
        }
        this.iova = iova;
        this.size = size;
        this.unmapped = unmapped;
        this.synced = synced;
        this.domainType = type.name();
        this.strategy = strategy.name();
        commit();
    }
}

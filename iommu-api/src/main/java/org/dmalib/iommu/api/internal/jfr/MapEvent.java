package org.dmalib.iommu.api.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuProt;

/**
 * One {@code map} of an IOMMU domain, timed from {@link #start()} to {@link #finish}. The core
 * knows no device: a domain may serve several; the driver's attach and the SMMU's fault events
 * name streams.
 *
 * <p>Not thread-safe: one event per call, on the calling thread.
 */
@Name("org.dmalib.Map")
@Label("IOMMU Map")
@Category({"dmalib", "IOMMU"})
@Description("IommuDomain.map: IOVA range to physical range, through the driver's map_pages")
public final class MapEvent extends TimedEvent {
    @Label("IOVA")
    @MemoryAddress
    long iova;

    @Label("Physical Address")
    @MemoryAddress
    long paddr;

    @Label("Size")
    @DataAmount
    long size;

    @Label("Protection")
    String prot;

    @Label("Domain Type")
    String domainType;

    @Label("Strategy")
    @Description("The domain's invalidation strategy (used by its unmaps)")
    String strategy;

    @Label("Succeeded")
    @Description("False if the map threw (what it had mapped was unmapped again)")
    boolean succeeded;


    /** Creates an event; call {@link #start()} before the map. */
    public MapEvent() {}


    /**
     * Ends the event and commits it if a recording wants it; fills nothing otherwise.
     *
     * @param iova the IOVA asked for
     * @param paddr the physical address asked for
     * @param size the bytes asked for
     * @param prot the protection asked for (may be null when the call refused it)
     * @param type the domain's type
     * @param strategy the domain's invalidation strategy
     * @param succeeded whether the map returned normally
     */
    public void finish(long iova, long paddr, long size, IommuProt prot, DomainType type,
            InvalidationStrategy strategy, boolean succeeded) {
        if (!stop()) {
            return;
        }
        this.iova = iova;
        this.paddr = paddr;
        this.size = size;
        this.prot = String.valueOf(prot);
        this.domainType = type.name();
        this.strategy = strategy.name();
        this.succeeded = succeeded;
        commit();
    }
}

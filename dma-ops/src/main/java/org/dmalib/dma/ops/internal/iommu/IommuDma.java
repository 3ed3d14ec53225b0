package org.dmalib.dma.ops.internal.iommu;

import java.util.Objects;
import java.util.function.LongSupplier;
import org.dmalib.dma.ops.internal.iova.IovaDomain;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;

/**
 * The DMA side of one IOMMU domain ({@code struct iommu_dma_cookie} with its {@code iova_domain},
 * reference §2.1): the domain's gathering calls and its IOVA space.
 *
 * <p>IOVA space: the granule is the domain's smallest page size; pfns run from
 * {@code max(1, apertureStart >> shift)} (IOVA page 0 is never handed out) to
 * {@code apertureEnd >> shift}; the SMMUv3 software MSI window {@link #MSI_IOVA_BASE} +
 * {@link #MSI_IOVA_LENGTH} is reserved. Linux's dma-iommu does not reserve that window for its
 * own domains because it allocates MSI doorbell pages from the IOVA space itself; this model has
 * no MSI cookie, so it keeps the window out of reach of DMA mappings instead.
 *
 * <p>Thread-safety: safe for concurrent use (the IOVA domain and the IOMMU domain are).
 */
public final class IommuDma {
    /** {@code MSI_IOVA_BASE} (arm-smmu-v3.h): the SMMUv3 software MSI window's first byte. */
    public static final long MSI_IOVA_BASE = 0x800_0000L;
    /** {@code MSI_IOVA_LENGTH} (arm-smmu-v3.h): the window's length, 1 MiB. */
    public static final long MSI_IOVA_LENGTH = 0x10_0000L;

    private final GatheringDomain domain;
    private final IovaDomain iovas;
    private final FlushQueue flushQueue;

    private IommuDma(GatheringDomain domain, IovaDomain iovas, LongSupplier nanoClock) {
        this.domain = domain;
        this.iovas = iovas;
        this.flushQueue = new FlushQueue(domain, iovas, nanoClock);
    }

    /**
     * Sets up the DMA side of {@code domain} ({@code iommu_dma_init_domain}).
     *
     * @param domain a DMA or DMA_FQ domain of an IOMMU driver (its runtime type gathers)
     * @param cpus how many CPU indices callers pass (the machine's CPU count)
     * @param nanoClock a monotonic clock in nanoseconds for the IOVA depot reclaim and the flush
     *     queue's timeout
     * @return the DMA side of the domain
     * @throws IllegalArgumentException naming the domain if it is not a gathering DMA domain or
     *     its DMA cookie is taken already, or a value the IOVA domain refuses
     */
    public static IommuDma of(IommuDomain domain, int cpus, LongSupplier nanoClock) {
        Objects.requireNonNull(domain, "domain");
        if (!(domain instanceof GatheringDomain g)) {
            throw new IllegalArgumentException("domain=" + domain
                    + " is not a domain of an IOMMU driver (it cannot gather invalidations)");
        }
        if (!domain.type().isDma()) {
            throw new IllegalArgumentException("domain=" + domain
                    + " is of type " + domain.type() + ", not DMA or DMA_FQ");
        }
        long granule = domain.pageSizes().minPageSize();
        int shift = Long.numberOfTrailingZeros(granule);
        long startPfn = Math.max(1, domain.apertureStart() >>> shift);
        long endPfn = domain.apertureEnd() >>> shift;
        IovaDomain iovas = new IovaDomain(granule, startPfn, endPfn, cpus, nanoClock);
        long msiLo = MSI_IOVA_BASE >>> shift;
        long msiHi = (MSI_IOVA_BASE + MSI_IOVA_LENGTH - 1) >>> shift;
        if (msiHi <= endPfn && msiLo >= startPfn) {
            iovas.reserve(msiLo, msiHi);
        }
        // last: every check above leaves the cookie free for a correct retry
        if (!g.claimDmaCookie()) {
            throw new IllegalArgumentException("domain=" + domain
                    + " already has a DMA domain (its DMA cookie is taken): two IOVA spaces"
                    + " would hand out the same addresses");
        }
        return new IommuDma(g, iovas, nanoClock);
    }

    /** {@return the IOMMU domain} */
    public GatheringDomain domain() {
        return domain;
    }

    /** {@return the IOVA space} */
    public IovaDomain iovas() {
        return iovas;
    }

    /** {@return the domain's flush queue (used by devices in lazy mode only)} */
    public FlushQueue flushQueue() {
        return flushQueue;
    }

    /** {@return the IOVA granule in bytes (the domain's smallest page size)} */
    public long granule() {
        return iovas.granule();
    }

    /**
     * {@code __iommu_dma_unmap} in strict mode: unmaps {@code [iova, iova + size)} with the
     * invalidations gathered, syncs them once, then the caller frees the IOVA. If the domain's
     * driver throws part-way, what it gathered before is synced before the exception goes on
     * (as {@code iommu_unmap}'s sync after {@code __iommu_unmap}): those entries are gone from
     * the page table, and the IOTLB must not keep translating them; a failure of that sync is
     * added to the driver's as suppressed.
     *
     * @param iova granule aligned
     * @param size granule multiple
     * @return the bytes unmapped
     */
    long unmapStrict(long iova, long size) {
        IotlbGather gather = new IotlbGather();
        long unmapped;
        try {
            unmapped = domain.unmapFast(iova, size, gather);
        } catch (RuntimeException | Error e) {
            if (!gather.isEmpty()) {
                try {
                    domain.iotlbSync(gather);
                } catch (RuntimeException | Error syncFailure) {
                    e.addSuppressed(syncFailure);
                }
            }
            throw e;
        }
        // one sync per unmap call: the gathered range goes to the domain's invalidation planner
        domain.iotlbSync(gather);
        return unmapped;
    }

    /**
     * {@code __iommu_dma_unmap} in lazy mode: unmaps {@code [iova, iova + size)} with the gather
     * marked queued (the page table adds no leaf invalidations; walk-cache flushes of freed
     * tables stay synchronous), issues no sync, and queues the range; the flush queue frees the
     * IOVA after a whole-domain flush that began after this call.
     *
     * @param cpu the calling CPU's index
     * @param iova granule aligned
     * @param size granule multiple, the size the IOVA was allocated with
     * @return the bytes unmapped
     */
    long unmapLazy(int cpu, long iova, long size) {
        IotlbGather gather = new IotlbGather();
        gather.setQueued(true);
        long unmapped = domain.unmapFast(iova, size, gather);
        flushQueue.queue(cpu, iova, size);
        return unmapped;
    }
}

package org.dmalib.dma.ops;

import java.util.function.LongSupplier;
import org.dmalib.dma.ops.internal.iommu.IommuDma;
import org.dmalib.iommu.api.IommuDomain;

/**
 * The DMA API's side of one IOMMU domain ({@code iommu_dma_init_domain}): the domain's IOVA
 * space, shared by every {@link DmaDevice} created over it. The granule is the domain's smallest
 * page size; IOVA page 0 is never handed out; the SMMUv3 software MSI window
 * ({@code 0x8000000}, 1 MiB) is reserved.
 *
 * <pre>{@code
 * IommuDomain domain = smmuDriver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX,
 *         4096, 48);
 * smmuDriver.attach(domain, 7);
 * IommuDmaDomain dmaDomain = IommuDmaDomain.create(memory, domain);
 * DmaDevice dev = DmaDevice.create(memory, DeviceParams.of(port), dmaDomain);
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class IommuDmaDomain {
    private final PageAllocator memory;
    private final IommuDma dma;

    private IommuDmaDomain(PageAllocator memory, IommuDma dma) {
        this.memory = memory;
        this.dma = dma;
    }

    /**
     * Sets up the DMA side of {@code domain}, with {@link System#nanoTime} as the IOVA cache's
     * clock.
     *
     * @param memory the machine's page allocator
     * @param domain a DMA or DMA_FQ domain allocated by an IOMMU driver, used by nothing else
     * @return the DMA domain
     * @throws DmaUsageException naming the domain if it is null, not a DMA domain, or not a
     *     domain of an IOMMU driver
     */
    public static IommuDmaDomain create(PageAllocator memory, IommuDomain domain) {
        return create(memory, domain, System::nanoTime);
    }

    /**
     * Sets up the DMA side of {@code domain} with an injected clock.
     *
     * @param memory the machine's page allocator
     * @param domain a DMA or DMA_FQ domain allocated by an IOMMU driver, used by nothing else
     * @param nanoClock a monotonic clock in nanoseconds (tests pass a fake one)
     * @return the DMA domain
     * @throws DmaUsageException naming the bad value
     */
    public static IommuDmaDomain create(PageAllocator memory, IommuDomain domain,
            LongSupplier nanoClock) {
        Checks.notNull(memory, "memory");
        Checks.notNull(domain, "domain");
        Checks.notNull(nanoClock, "nanoClock");
        try {
            return new IommuDmaDomain(memory,
                    IommuDma.of(domain, memory.machine().cpuCount(), nanoClock));
        } catch (IllegalArgumentException e) {
            throw new DmaUsageException(e.getMessage());
        }
    }

    /** Returns the IOMMU domain. */
    public IommuDomain domain() {
        return dma.domain();
    }

    /** Returns the IOVA granule in bytes. */
    public long granule() {
        return dma.granule();
    }

    /** Returns how many IOVA ranges are allocated now (exact only when no call is running). */
    public long iovaRangesOutstanding() {
        return dma.iovas().outstandingCount();
    }

    /** Returns the allocator the domain was created with. */
    public PageAllocator memory() {
        return memory;
    }

    IommuDma dma() {
        return dma;
    }

    @Override
    public String toString() {
        return "IommuDmaDomain[" + dma.domain() + "]";
    }
}

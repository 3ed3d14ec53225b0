package org.dmalib.dma.ops;

import java.util.function.LongSupplier;
import org.dmalib.dma.ops.internal.iommu.FlushQueueCounters;
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
 * <p>The domain's flush queue serves its devices in {@link FlushMode#LAZY lazy} mode (reference
 * §2.11): per-CPU rings of 256 unmapped ranges, freed after a whole-domain IOTLB flush that
 * began after their unmap; a full ring flushes at once; a 10 ms timeout on the domain's clock
 * flushes the rest. There are no threads or timers: the timeout is checked on every lazy unmap
 * and on {@link #tick()}, which a composition root calls when unmaps may have stopped (an idle
 * loop, a test step).
 *
 * <p>Free the IOMMU domain only after the last {@link #flushQueue()}, and stop ticking it then.
 * Linux deletes the flush-queue timer when the domain's DMA cookie is put, so after the free the
 * timer never fires. Here, {@link #tick()} and {@link #flushQueue()} on a freed domain throw
 * {@link IllegalStateException} instead, as their Javadoc states.
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
     * @throws DmaUsageException naming the domain if it is null, not a DMA domain, not a
     *     domain of an IOMMU driver, or already has a DMA domain (Linux's
     *     {@code iommu_get_dma_cookie} fails with {@code -EEXIST}: two IOVA spaces would hand
     *     out the same addresses)
     */
    public static IommuDmaDomain create(PageAllocator memory, IommuDomain domain) {
        return create(memory, domain, System::nanoTime);
    }

    /**
     * Sets up the DMA side of {@code domain} with an injected clock (the flush queue's timeout
     * and the IOVA caches' reclaim read it).
     *
     * @param memory the machine's page allocator
     * @param domain a DMA or DMA_FQ domain allocated by an IOMMU driver, used by nothing else
     * @param nanoClock a monotonic clock in nanoseconds (tests pass a fake one)
     * @return the DMA domain
     * @throws DmaUsageException naming the bad value, or the domain if it already has a DMA
     *     domain
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

    /** {@return the IOMMU domain} */
    public IommuDomain domain() {
        return dma.domain();
    }

    /** {@return the IOVA granule in bytes} */
    public long granule() {
        return dma.granule();
    }

    /**
     * {@return how many IOVA ranges are allocated now, ranges waiting in the flush queue
     * included (exact only when no call is running)}
     */
    public long iovaRangesOutstanding() {
        return dma.iovas().outstandingCount();
    }

    /**
     * Runs the flush queue's 10 ms timeout if it is due on the domain's clock: one whole-domain
     * IOTLB flush, then every range queued before it is freed. Detaching a device stops nothing
     * here: the domain, its queue and its timer outlive the devices over it.
     *
     * <p>After the IOMMU domain has been freed (the driver's {@code freeDomain}), the timeout
     * never fires. Linux deletes the timer when the domain's DMA cookie is put ({@code
     * iommu_put_dma_cookie} calls {@code iommu_dma_free_fq}). This model gets no notice of the
     * free, so a tick before the deadline still returns false without a call into the domain. A
     * due tick is refused with {@link IllegalStateException}: no flush is done, no range is
     * freed, and the timer stays armed, so every later due tick is refused the same way. The
     * counters show the refused flush as started, not as finished, and not as a timer flush.
     *
     * @return whether the timeout fired
     * @throws IllegalStateException naming the IOMMU domain and saying that it was freed, if the
     *     timeout is due and the domain was freed; the cause is the domain's own refusal
     */
    public boolean tick() {
        return dma.flushQueue().poll();
    }

    /**
     * Flushes the domain's IOTLB now and frees every queued range (driver teardown: call it
     * before the IOMMU domain is freed).
     *
     * @throws IllegalStateException naming the IOMMU domain if it was freed, as {@link #tick()}
     *     does; the ranges stay queued and the timer as it was
     */
    public void flushQueue() {
        dma.flushQueue().flushNow();
    }

    /** {@return how many unmapped ranges wait in the flush queue now} */
    public int flushQueuePending() {
        return dma.flushQueue().pending();
    }

    /** {@return the flush queue's counters} */
    public LazyFlushCounters flushQueueCounters() {
        FlushQueueCounters c = dma.flushQueue().counters();
        return new LazyFlushCounters(c.flushesStarted(), c.flushesFinished(), c.queued(), c.freed(),
                c.fullFlushes(), c.timerFlushes());
    }

    /** {@return the allocator the domain was created with} */
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

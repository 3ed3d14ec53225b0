package org.dmalib.dma.ops.internal.iova;

/**
 * One device's IOVA allocation policy ({@code iommu_dma_alloc_iova}, dma-iommu.c): the DMA
 * limit, and PCI's 32-bit-first workaround, which a device loses for good the first time its
 * 32-bit attempt fails.
 *
 * <p>Units: this class speaks bytes (IOVAs and sizes); the domain speaks granules.
 *
 * <p>Thread-safety: safe for concurrent use. The workaround flag is volatile; two racing
 * allocations may both try the 32-bit space once more before they see it cleared, as with
 * Linux's plain store.
 */
public final class DeviceIova {
    // DMA_BIT_MASK(32): the last byte below 4 GiB
    private static final long DMA_BIT_MASK_32 = 0xFFFF_FFFFL;

    private final long dmaLimit;
    private volatile boolean pci32BitWorkaround;

    /**
     * Creates the policy of one device.
     *
     * @param dmaMask the device's DMA mask, unsigned (-1 for 64 bits); not 0
     * @param busDmaLimit the bus's limit, unsigned; 0 for none ({@code min_not_zero})
     * @param pci32BitWorkaround whether to try below 4 GiB first (true for PCI devices unless
     *     {@code iommu.forcedac=1})
     * @throws IllegalArgumentException if {@code dmaMask} is 0
     */
    public DeviceIova(long dmaMask, long busDmaLimit, boolean pci32BitWorkaround) {
        if (dmaMask == 0) {
            throw new IllegalArgumentException("dmaMask must not be 0");
        }
        this.dmaLimit = busDmaLimit == 0 || Long.compareUnsigned(dmaMask, busDmaLimit) <= 0
                ? dmaMask : busDmaLimit;
        this.pci32BitWorkaround = pci32BitWorkaround;
    }

    /** {@return the last byte address the device may reach ({@code min_not_zero}), unsigned} */
    public long dmaLimit() {
        return dmaLimit;
    }

    /** {@return whether the next allocation still tries below 4 GiB first} */
    public boolean pci32BitWorkaround() {
        return pci32BitWorkaround;
    }

    /**
     * Allocates IOVA space for {@code bytes} bytes: below 4 GiB first without flushing the
     * caches if the workaround holds and the limit, clamped to the domain's aperture, is above
     * 4 GiB (a failure clears the workaround for good), then below the device's limit with
     * flush-and-retry.
     *
     * @param domain the device's domain
     * @param cpu the calling CPU's index
     * @param bytes at least 1; rounded up to granules
     * @return the IOVA of the range (granule aligned)
     * @throws IovaExhaustedException if nothing fits below the limit, a limit below the domain's
     *     first granule included (Linux's {@code alloc_iova_fast} then returns 0)
     * @throws IllegalArgumentException if an argument is out of range
     */
    public long allocIova(IovaDomain domain, int cpu, long bytes) {
        long pages = domain.granules(bytes);
        int shift = domain.shift();
        long limitPfn = dmaLimit >>> shift;
        if (limitPfn < domain.startPfn()) {
            // a valid mask (12 bits reach IOVA page 0 only) that no range can satisfy: the
            // domain refuses such a limit as an argument, the device is out of IOVA space
            throw new IovaExhaustedException(IovaDomain.roundedSize(pages), limitPfn);
        }
        long limit32 = DMA_BIT_MASK_32 >>> shift;
        // Linux compares the limit after force_aperture clamped it to aperture_end: an aperture
        // ending at or below 4 GiB has nothing above 4 GiB to fall back to, and the workaround
        // stays (granules of at most 64 KiB divide 4 GiB, so comparing pfns is exact); the flag
        // is read before the aperture, so that a device without the workaround pays nothing more
        if (Long.compareUnsigned(dmaLimit, DMA_BIT_MASK_32) > 0 && pci32BitWorkaround
                && domain.endPfn() > limit32) {
            // a space that starts above 4 GiB has no 32-bit part: Linux's attempt fails there
            // (the domain would refuse the limit as an argument)
            long pfn = limit32 < domain.startPfn() ? 0 : domain.tryAllocFast(cpu, pages, limit32, false);
            if (pfn != 0) {
                return pfn << shift;
            }
            // Linux: "Using %d-bit DMA addresses", and never tries 32 bits first again
            pci32BitWorkaround = false;
        }
        return domain.allocFast(cpu, pages, limitPfn, true) << shift;
    }

    /**
     * Frees what {@link #allocIova} returned ({@code iommu_dma_free_iova} without a flush queue).
     *
     * @param domain the device's domain
     * @param cpu the calling CPU's index
     * @param iova what {@link #allocIova} returned
     * @param bytes the size passed to {@link #allocIova}
     * @throws UnknownIovaException if the range is not outstanding, or {@code iova} is not
     *     granule aligned (so not what {@link #allocIova} returned); then nothing changed
     */
    public void freeIova(IovaDomain domain, int cpu, long iova, long bytes) {
        int shift = domain.shift();
        long pfn = iova >>> shift;
        // the shift would drop an offset into the granule and free the range it falls in
        if ((iova & ((1L << shift) - 1)) != 0) {
            throw new UnknownIovaException(pfn, domain.granules(bytes),
                    String.format("iova=0x%x is not granule aligned", iova));
        }
        domain.freeFast(cpu, pfn, domain.granules(bytes));
    }
}

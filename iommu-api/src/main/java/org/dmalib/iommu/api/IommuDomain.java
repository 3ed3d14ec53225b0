package org.dmalib.iommu.api;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import com.google.errorprone.annotations.CheckReturnValue;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An IOMMU paging domain: one device address space ({@code struct iommu_domain}). A VFIO-like
 * user maps and unmaps IOVA ranges; the DMA API does the same for its own domains.
 *
 * <p>Mapping issues no IOTLB invalidation (an SMMUv3 caches no invalid entries). Unmapping
 * invalidates what it removed before it returns. Obtain a domain from the IOMMU driver that
 * created it; this interface is not for users to implement.
 *
 * <p>Thread-safety: the core keeps no mutable state; concurrent calls on disjoint IOVA ranges
 * are safe when the driver's page table is (as io-pgtable's lock-free tables are). Concurrent
 * calls on overlapping ranges are a caller bug, as in Linux.
 */
@CheckReturnValue
public interface IommuDomain {
    /** {@return what the domain is for} */
    DomainType type();

    /** {@return how the domain's driver plans IOTLB invalidations} */
    InvalidationStrategy strategy();

    /** {@return the supported page sizes; the smallest is the alignment every request needs} */
    PageSizes pageSizes();

    /** {@return the first device address that may be mapped (geometry.aperture_start)} */
    long apertureStart();

    /**
     * {@return the last device address that may be mapped, inclusive (geometry.aperture_end):
     * {@code 2^inputAddressBits - 1}}
     */
    long apertureEnd();

    /**
     * Maps {@code [iova, iova + size)} to {@code [paddr, paddr + size)} ({@code iommu_map}):
     * split by {@link PageSizes#pgsize} into page runs, largest pages first where alignment
     * allows. No IOTLB invalidation is issued.
     *
     * <p>If the driver fails part-way, what this call mapped is unmapped (with a sync) and the
     * driver's exception is rethrown: the domain is as before.
     *
     * @param iova device address: a multiple of the smallest page size, in the aperture
     * @param paddr physical address: a multiple of the smallest page size, not negative
     * @param size bytes: a multiple of the smallest page size; 0 maps nothing
     * @param prot the protection: READ or WRITE (or both) must be set
     * @throws UnalignedException if {@code iova | paddr | size} is not aligned, naming them
     * @throws OutOfRangeException if a value is negative or the range leaves the aperture
     * @throws InvalidProtException if {@code prot} has neither READ nor WRITE
     * @throws AlreadyMappedException if part of the range is mapped (from the driver)
     * @throws IommuException for other driver failures; nothing is changed in every case
     */
    void map(long iova, long paddr, long size, IommuProt prot);

    /**
     * Maps physically discontiguous runs at consecutive device addresses in one call
     * ({@code iommu_map_sg}): run {@code i}, {@code [paddrs[i], paddrs[i] + sizes[i])}, at
     * {@code iova} plus the sizes of the runs before it. Each run is split as {@link #map} splits
     * its range; the core hands the driver the smallest-size pages of consecutive runs together,
     * so a driver that walks the list itself (see
     * {@link org.dmalib.iommu.api.spi.IommuDomainOps#mapPageList}) descends its tables once per
     * table rather than once per page. No IOTLB invalidation is issued.
     *
     * <p>All or nothing: if any run is refused or the driver fails part-way, what this call
     * mapped is unmapped (with a sync) and the exception is thrown; the domain is as before.
     * If that undo fails too, its exception is added to the map's as suppressed. This default
     * maps the runs one by one with {@link #map}.
     *
     * @param iova device address of the first run: a multiple of the smallest page size
     * @param paddrs each run's physical address: not negative, a multiple of the smallest page size
     * @param sizes each run's bytes: a multiple of the smallest page size; 0 maps nothing
     * @param count how many runs, from index 0: {@code 0 <= count <= min(paddrs.length,
     *     sizes.length)}; 0 maps nothing
     * @param prot the protection of every run: READ or WRITE (or both) must be set
     * @throws IndexOutOfBoundsException if {@code count} is negative or longer than an array
     * @throws UnalignedException naming the first run not aligned to the smallest page size
     * @throws OutOfRangeException if a value is negative, a run wraps, or the runs leave the
     *     aperture
     * @throws InvalidProtException if {@code prot} has neither READ nor WRITE
     * @throws AlreadyMappedException if part of the range is mapped (from the driver)
     * @throws IommuException for other driver failures; nothing is changed in every case
     */
    default void mapRuns(long iova, long[] paddrs, long[] sizes, int count, IommuProt prot) {
        Objects.checkFromIndexSize(0, count, Math.min(paddrs.length, sizes.length));
        long offset = 0;
        try {
            for (int i = 0; i < count; i++) {
                map(iova + offset, paddrs[i], sizes[i], prot);
                offset += sizes[i];
            }
        } catch (RuntimeException e) {
            long undone;
            try {
                undone = offset == 0 ? 0 : unmap(iova, offset);
            } catch (RuntimeException undo) {
                e.addSuppressed(undo); // the map's failure is the one the caller sees
                throw e;
            }
            if (undone != offset) {
                e.addSuppressed(new IllegalStateException(String.format(
                        "undo of a failed mapRuns: unmapped=0x%x of mapped=0x%x at iova=0x%x",
                        undone, offset, iova)));
            }
            throw e;
        }
    }

    /**
     * Unmaps {@code [iova, iova + size)} and syncs the IOTLB before returning
     * ({@code iommu_unmap}). Stops at the first hole. Unmap whole ranges as they were mapped
     * (adjacent ones may be unmapped together): a range that starts or ends inside a block
     * mapped as one piece is refused before anything is unmapped by a driver that checks for it
     * ({@link org.dmalib.iommu.api.spi.IommuDomainOps#checkUnmap}, as the SMMUv3 driver's ARM
     * LPAE tables do), and otherwise stops at that block.
     *
     * <p>If the driver fails part-way, what it unmapped before the failure stays unmapped and is
     * still invalidated and synced before the driver's exception propagates (a failure of that
     * sync is attached to it as suppressed), as {@code iommu_unmap} syncs its gather whatever
     * {@code __iommu_unmap} did.
     *
     * @param iova device address: a multiple of the smallest page size, in the aperture
     * @param size bytes: a multiple of the smallest page size
     * @return the bytes unmapped from {@code iova} on, up to {@code size}; 0 if {@code iova} is
     *     not mapped, or is inside a bigger block that the driver does not check for
     * @throws UnalignedException if {@code iova | size} is not aligned, naming them
     * @throws OutOfRangeException if a value is negative or the range leaves the aperture
     * @throws PartialUnmapException if the driver refuses a range that would subdivide a block,
     *     naming the block; nothing is unmapped
     * @throws IommuException for other driver failures, after the sync of what was unmapped
     */
    @CanIgnoreReturnValue
    long unmap(long iova, long size);

    /**
     * Invalidates every IOTLB entry of the domain and waits ({@code iommu_flush_iotlb_all}).
     */
    void flushIotlbAll();

    /**
     * Translates a device address by walking the domain's page table in software
     * ({@code iommu_iova_to_phys}).
     *
     * @param iova any device address in the aperture
     * @return the physical address, or empty if {@code iova} is not mapped
     * @throws OutOfRangeException if {@code iova} is outside the aperture
     */
    OptionalLong iovaToPhys(long iova);
}

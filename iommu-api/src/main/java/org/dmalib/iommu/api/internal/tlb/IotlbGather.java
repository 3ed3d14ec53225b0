package org.dmalib.iommu.api.internal.tlb;

import java.util.function.Consumer;

/**
 * The IOTLB gather ({@code struct iommu_iotlb_gather}, reference §3.6): the leaf invalidations
 * an unmap has deferred, kept as one contiguous byte range {@code [start, end]} at one page size
 * {@code pgsize}. Adding a page of another size, or one that leaves a gap, first syncs what is
 * gathered. Ranges may reach the top of a 63-bit space: the last byte {@code Long.MAX_VALUE},
 * one past it 2^63, which is why the range is kept by its inclusive {@code end}, as in Linux.
 *
 * <p>{@code queued} is set by the DMA API when a flush queue will invalidate the whole domain
 * later; page-table code then skips {@code addPage} entirely.
 *
 * <p>Mutable and not thread-safe: a gather lives on one unmap call's stack (one thread), from
 * {@link #IotlbGather() creation} to the sync.
 */
public final class IotlbGather {
    // Linux initialises start to ULONG_MAX; iovas are non-negative longs, so MAX_VALUE is at or
    // above every iova and min() works unchanged.
    private static final long EMPTY_START = Long.MAX_VALUE;

    private long start = EMPTY_START;
    private long end;
    private long pgsize;
    private boolean queued;

    /** Creates an empty gather ({@code iommu_iotlb_gather_init}); not queued. */
    public IotlbGather() {
        // the field initialisers are the empty state: start = EMPTY_START, end = pgsize = 0
    }

    /** {@return the first gathered byte; {@code Long.MAX_VALUE} while empty} */
    public long start() {
        return start;
    }

    /** {@return the last gathered byte, inclusive; 0 while empty} */
    public long end() {
        return end;
    }

    /** {@return the gathered page size (the granule of the pending invalidation); 0 while empty} */
    public long pgsize() {
        return pgsize;
    }

    /**
     * Returns the gathered bytes.
     *
     * @return {@code end - start + 1}; 0 while empty
     * @throws ArithmeticException if the gather holds all 2^63 bytes from 0 to
     *     {@code Long.MAX_VALUE}, a count no long holds ({@link #start} and {@link #end} still
     *     say the range)
     */
    public long size() {
        // end - start cannot overflow (both are non-negative); the + 1 can, for [0, MAX_VALUE]
        return isEmpty() ? 0 : Math.addExact(end - start, 1);
    }

    /** {@return whether nothing is gathered ({@code pgsize == 0}, as the SMMUv3 sync tests)} */
    public boolean isEmpty() {
        return pgsize == 0;
    }

    /** {@return whether a flush queue will invalidate the whole domain instead} */
    public boolean isQueued() {
        return queued;
    }

    /**
     * Marks the gather as covered, or not, by a later flush-queue {@code flushAll}.
     *
     * @param queued true if the DMA API's flush queue owns the invalidation
     */
    public void setQueued(boolean queued) {
        this.queued = queued;
    }

    /**
     * Empties the gather and clears {@code queued}, as {@code iommu_iotlb_gather_init} does
     * after every sync.
     */
    public void reset() {
        start = EMPTY_START;
        end = 0;
        pgsize = 0;
        queued = false;
    }

    /**
     * Widens the range to include {@code [iova, iova + size)} ({@code
     * iommu_iotlb_gather_add_range}); the page size is unchanged.
     *
     * @param iova first byte: not negative
     * @param size bytes: positive, {@code iova + size} at most 2^63 (the last byte a long)
     * @throws IllegalArgumentException naming the bad value
     */
    public void addRange(long iova, long size) {
        checkRange(iova, size);
        long last = iova + size - 1;
        start = Math.min(start, iova);
        end = Math.max(end, last);
    }

    /**
     * Returns whether {@code [iova, iova + size)} neither overlaps nor touches the gathered range
     * ({@code iommu_iotlb_gather_is_disjoint}); false while empty.
     *
     * @param iova first byte: not negative
     * @param size bytes: positive, {@code iova + size} at most 2^63
     * @return true if adding it would leave a gap
     * @throws IllegalArgumentException naming the bad value
     */
    public boolean isDisjoint(long iova, long size) {
        checkRange(iova, size);
        long last = iova + size - 1;
        // Linux: end != 0 && (last + 1 < start || iova > end + 1). Here last or end may be
        // MAX_VALUE, where + 1 wraps; start - 1 and iova - 1 cannot (start, iova >= 0).
        return end != 0 && (last < start - 1 || iova - 1 > end);
    }

    /**
     * Gathers the leaf invalidation of one page ({@code iommu_iotlb_gather_add_page}). If the
     * page has a different size from the gathered ones, or leaves a gap, {@code sync} is called
     * first with this gather (the driver's {@code iotlbSync}), and the gather is emptied before
     * the page is added.
     *
     * <p>May be called from latency-critical paths; does not block unless {@code sync} does.
     *
     * @param iova the page's first byte: not negative, a multiple of {@code size}
     * @param size the page size: a positive power of two
     * @param sync invalidates and waits for what is gathered; called at most once
     * @throws IllegalArgumentException naming the bad value; nothing is changed
     */
    public void addPage(long iova, long size, Consumer<IotlbGather> sync) {
        checkRange(iova, size);
        if (Long.bitCount(size) != 1 || (iova & (size - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "addPage: size=0x%x must be a power of two dividing iova=0x%x", size, iova));
        }
        if ((pgsize != 0 && pgsize != size) || isDisjoint(iova, size)) {
            sync.accept(this);
            reset();
        }
        pgsize = size;
        addRange(iova, size);
    }

    /**
     * Gathers {@code count} consecutive pages of {@code size} from {@code iova}: exactly
     * {@link #addPage} of each in address order (only the first can call {@code sync}: the rest
     * touch the range and share its size), in one step.
     *
     * @param iova the first page's first byte: not negative, a multiple of {@code size}
     * @param size the page size: a positive power of two
     * @param count pages: positive, the last one's end at most 2^63 (its last byte a long)
     * @param sync invalidates and waits for what is gathered; called at most once
     * @throws IllegalArgumentException naming the bad value; nothing is changed
     */
    public void addPages(long iova, long size, long count, Consumer<IotlbGather> sync) {
        // the last byte iova + count * size - 1 must be a long: the first page's last byte is
        // (checkRange's test), and the other count - 1 pages fit in what is left above it;
        // every operand is non-negative where it is computed, so nothing wraps
        if (count <= 0 || size <= 0 || iova < 0 || size - 1 > Long.MAX_VALUE - iova
                || count - 1 > (Long.MAX_VALUE - iova - (size - 1)) / size) {
            throw new IllegalArgumentException(String.format(
                    "addPages: count=%d pages of size=0x%x from iova=0x%x must be positive and "
                    + "end by 2^63", count, size, iova));
        }
        addPage(iova, size, sync);
        if (count > 1) {
            addRange(iova + size, (count - 1) * size);
        }
    }

    private static void checkRange(long iova, long size) {
        // the last byte iova + size - 1 must be a long, so a range may end exactly at 2^63;
        // with iova >= 0 and size >= 1 tested first, neither side of the last test wraps
        if (iova < 0 || size <= 0 || size - 1 > Long.MAX_VALUE - iova) {
            throw new IllegalArgumentException(String.format(
                    "gather range iova=0x%x size=0x%x must be non-negative, non-empty and end by"
                    + " 2^63", iova, size));
        }
    }

    @Override
    public String toString() {
        return isEmpty()
                ? "IotlbGather[empty" + (queued ? ", queued]" : "]")
                : String.format("IotlbGather[start=0x%x end=0x%x pgsize=0x%x%s]",
                        start, end, pgsize, queued ? " queued" : "");
    }
}

package org.dmalib.dma.ops.internal.bounce;

import java.util.BitSet;

/**
 * The slots of a swiotlb-like bounce pool ({@code kernel/dma/swiotlb.c}): a physically
 * contiguous range of low memory cut into {@link #IO_TLB_SIZE}-byte slots. A bounce buffer is a
 * run of contiguous free slots that does not cross an {@link #IO_TLB_SEGSIZE}-slot segment, so
 * the largest bounce buffer is {@code IO_TLB_SEGSIZE * IO_TLB_SIZE} bytes (256 KiB).
 *
 * <p>This class is bookkeeping only: it hands out and takes back physical ranges. It neither
 * copies data nor touches caches.
 *
 * <p>Search: first fit from a rotating index (swiotlb's {@code area->index}), wrapping once;
 * a run of at least a page starts on a page boundary, as swiotlb aligns such allocations when
 * no alignment is asked for.
 *
 * <p>A device's {@code min_align_mask} ({@link #reserveFor}): the bounce buffer's address keeps
 * the original's bits under the mask. The bits below a slot are kept by starting the buffer
 * that far into its first slot ({@code swiotlb_align_offset}); the bits from a slot up by
 * choosing a first slot whose address has them ({@code swiotlb_search_pool_area}'s
 * {@code iotlb_align_mask}). Such a request is not page aligned (Linux page-aligns only
 * requests with neither mask).
 *
 * <p>Thread-safety: safe for concurrent use. The methods that read or change the slots in use
 * are synchronized (swiotlb takes the area lock); the rest read only the pool's fixed shape
 * (base, size, slot count, which requests any state of the pool could serve) and need no lock.
 */
public final class BouncePool {
    /** {@code IO_TLB_SHIFT}: log2 of the slot size. */
    public static final int IO_TLB_SHIFT = 11;
    /** {@code IO_TLB_SIZE = 1 << IO_TLB_SHIFT} (11): the slot size, 2 KiB. */
    public static final int IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
    /** {@code IO_TLB_SEGSIZE}: the most contiguous slots one bounce buffer may take, 128. */
    public static final int IO_TLB_SEGSIZE = 128;

    // a 4 KiB page is 2 slots: buffers of a page or more start on an even slot (page aligned)
    private static final int PAGE_SIZE = 4096;
    private static final int SLOTS_PER_PAGE = PAGE_SIZE / IO_TLB_SIZE;

    private final long base;
    private final int nslabs;
    private final BitSet used;
    private int index;
    private int inUse;

    /**
     * Creates a pool over {@code [base, base + size)}; the caller has reserved the memory.
     *
     * @param base first physical address, a multiple of {@link #IO_TLB_SIZE}, not negative
     * @param size bytes, a multiple of {@link #IO_TLB_SIZE}, not negative (0: no pool)
     * @throws IllegalArgumentException naming the bad value
     */
    public BouncePool(long base, long size) {
        if (base < 0 || (base & (IO_TLB_SIZE - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "base=0x%x must be a non-negative multiple of %d", base, IO_TLB_SIZE));
        }
        if (size < 0 || (size & (IO_TLB_SIZE - 1)) != 0 || (size >> IO_TLB_SHIFT) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "size=" + size + " must be a non-negative multiple of " + IO_TLB_SIZE);
        }
        this.base = base;
        this.nslabs = (int) (size >> IO_TLB_SHIFT);
        this.used = new BitSet(nslabs);
    }

    /** {@return the first physical address of the pool} */
    public long base() {
        return base;
    }

    /** {@return the size of the pool in bytes} */
    public long size() {
        return (long) nslabs << IO_TLB_SHIFT;
    }

    /** {@return the largest bounce buffer the pool can ever hand out, in bytes} */
    public static long maxMappingSize() {
        return (long) IO_TLB_SEGSIZE * IO_TLB_SIZE;
    }

    /**
     * {@code swiotlb_max_mapping_size}: the largest buffer that can be bounced for a device with
     * {@code min_align_mask} {@code minAlignMask}, {@link #maxMappingSize()} less the mask rounded
     * up to a slot (the slot search may skip that much to keep the mask's bits).
     *
     * @param minAlignMask 0 or {@code 2^n - 1}, below half of {@link #maxMappingSize()}
     * @return the size in bytes, at least half of {@link #maxMappingSize()}
     * @throws IllegalArgumentException if the mask is out of range
     */
    public static long maxMappingSize(long minAlignMask) {
        checkMinAlignMask(minAlignMask);
        // roundup(min_align_mask, IO_TLB_SIZE); 0 when there is no mask
        return maxMappingSize() - ((minAlignMask + IO_TLB_SIZE - 1) & -IO_TLB_SIZE);
    }

    /**
     * Returns whether {@code paddr} lies in the pool.
     *
     * @param paddr a physical address
     * @return whether it is a bounce-pool address
     */
    public boolean contains(long paddr) {
        return paddr >= base && paddr - base < size();
    }

    /** {@return how many slots are reserved now} */
    public synchronized int slotsInUse() {
        return inUse;
    }

    /** {@return how many slots the pool has} */
    public int slotCount() {
        return nslabs;
    }

    /**
     * Reserves a bounce buffer of {@code size} bytes whose last byte is at or below
     * {@code limit} (the device's DMA mask, compared unsigned).
     *
     * @param size bytes, from 1 to {@link #maxMappingSize()}
     * @param limit the highest physical address the buffer may reach
     * @return the physical address of the buffer, or -1 if no run of free slots fits (then
     *     nothing changed)
     * @throws IllegalArgumentException if {@code size} is out of range
     */
    public synchronized long reserve(long size, long limit) {
        return reserveAligned(size, limit, IO_TLB_SIZE);
    }

    /**
     * Reserves a bounce buffer as {@link #reserve} does, starting at a multiple of {@code align}
     * (swiotlb's {@code alloc_align_mask}: dma-iommu asks for the IOVA granule, so that the
     * buffer's offset within a granule is its own).
     *
     * @param size bytes, from 1 to {@link #maxMappingSize()}
     * @param limit the highest physical address the buffer may reach (unsigned)
     * @param align bytes, a power of two of at least {@link #IO_TLB_SIZE}
     * @return the physical address of the buffer, or -1 if no run of free slots fits
     * @throws IllegalArgumentException if {@code size} or {@code align} is out of range
     */
    public synchronized long reserveAligned(long size, long limit, long align) {
        checkRequest(size, align);
        int nslots = slots(size);
        int stride = stride(size, align);
        int start = index - index % stride;
        for (int n = 0; n < nslabs; n += stride) {
            int i = (start + n) % nslabs;
            i -= i % stride;
            if (placeable(i, nslots, limit, align) && free(i, nslots)) {
                used.set(i, i + nslots);
                inUse += nslots;
                index = (i + nslots) % nslabs;
                return slotAddress(i);
            }
        }
        return -1;
    }

    /**
     * Reserves a bounce buffer for the buffer at {@code orig} whose address keeps {@code orig}'s
     * bits under {@code minAlignMask} ({@code swiotlb_tbl_map_single} with no alignment mask, as
     * dma-direct's {@code swiotlb_map} calls it): it starts {@code orig & minAlignMask} mod
     * {@link #IO_TLB_SIZE} into its first slot, and that slot's address agrees with
     * {@code orig} on the mask's bits from a slot up. With a mask of 0 this is {@link #reserve}.
     * Release it with {@link #releaseFor} and the same mask.
     *
     * @param orig the physical address of the buffer being bounced
     * @param size bytes, from 1 to {@link #maxMappingSize(long) maxMappingSize(minAlignMask)}
     * @param limit the highest physical address the buffer's slots may reach (unsigned)
     * @param minAlignMask the device's {@code min_align_mask}: 0 or {@code 2^n - 1}, below
     *     half of {@link #maxMappingSize()}
     * @return the bounce buffer's address, equal to {@code orig} under the mask, or -1 if no
     *     run of free slots fits (then nothing changed)
     * @throws IllegalArgumentException if {@code size} or the mask is out of range
     */
    public synchronized long reserveFor(long orig, long size, long limit, long minAlignMask) {
        checkMinAlignRequest(size, minAlignMask);
        if (minAlignMask == 0) {
            return reserveAligned(size, limit, IO_TLB_SIZE);
        }
        long offset = alignOffset(orig, minAlignMask);
        int nslots = slots(offset + size);
        for (int n = 0; n < nslabs; n++) {
            int i = (index + n) % nslabs;
            if (keepsBits(i, orig, minAlignMask) && placeable(i, nslots, limit, IO_TLB_SIZE)
                    && free(i, nslots)) {
                used.set(i, i + nslots);
                inUse += nslots;
                index = (i + nslots) % nslabs;
                return slotAddress(i) + offset;
            }
        }
        return -1;
    }

    /**
     * Returns whether the pool, were every slot free, would hold the bounce buffer
     * {@link #reserveFor} asks for; as {@link #couldEverReserve}.
     *
     * @param orig the physical address of the buffer being bounced
     * @param size bytes, from 1 to {@link #maxMappingSize(long) maxMappingSize(minAlignMask)}
     * @param limit the highest physical address the buffer's slots may reach (unsigned)
     * @param minAlignMask 0 or {@code 2^n - 1}, below half of {@link #maxMappingSize()}
     * @return whether some free state of the pool can serve the request
     * @throws IllegalArgumentException if {@code size} or the mask is out of range
     */
    public boolean couldEverReserveFor(long orig, long size, long limit, long minAlignMask) {
        checkMinAlignRequest(size, minAlignMask);
        if (minAlignMask == 0) {
            return couldEverReserve(size, limit, IO_TLB_SIZE);
        }
        int nslots = slots(alignOffset(orig, minAlignMask) + size);
        for (int i = 0; i < nslabs; i++) {
            if (keepsBits(i, orig, minAlignMask) && placeable(i, nslots, limit, IO_TLB_SIZE)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Releases a bounce buffer returned by {@link #reserveFor} ({@code swiotlb_release_slots}
     * finds its first slot the same way: the address less its offset into that slot).
     *
     * @param tlbAddr the address {@link #reserveFor} returned
     * @param size the size passed to {@link #reserveFor}
     * @param minAlignMask the mask passed to {@link #reserveFor}
     * @throws IllegalArgumentException if the range is not a reserved buffer of this pool (the
     *     message names its first slot and the bytes from there), or the mask is out of range
     */
    public synchronized void releaseFor(long tlbAddr, long size, long minAlignMask) {
        checkMinAlignMask(minAlignMask);
        long offset = alignOffset(tlbAddr, minAlignMask);
        release(tlbAddr - offset, size + offset);
    }

    /**
     * Returns whether the pool, were every slot free, would hold a bounce buffer as
     * {@link #reserveAligned} asks for: when it would not, no release can make that call
     * succeed (the pool is too small, or lies above the limit, for the request; it is not full).
     * Reads only the pool's fixed shape, not its slots: no lock is needed.
     *
     * @param size bytes, from 1 to {@link #maxMappingSize()}
     * @param limit the highest physical address the buffer may reach (unsigned)
     * @param align bytes, a power of two of at least {@link #IO_TLB_SIZE}
     * @return whether some free state of the pool can serve the request
     * @throws IllegalArgumentException if {@code size} or {@code align} is out of range
     */
    public boolean couldEverReserve(long size, long limit, long align) {
        checkRequest(size, align);
        int nslots = slots(size);
        int stride = stride(size, align);
        for (int i = 0; i < nslabs; i += stride) {
            if (placeable(i, nslots, limit, align)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Releases a bounce buffer returned by {@link #reserve}.
     *
     * @param tlbAddr the address {@link #reserve} returned
     * @param size the size passed to {@link #reserve}
     * @throws IllegalArgumentException if the range is not a reserved buffer of this pool
     */
    public synchronized void release(long tlbAddr, long size) {
        if (!contains(tlbAddr) || ((tlbAddr - base) & (IO_TLB_SIZE - 1)) != 0 || size <= 0) {
            throw new IllegalArgumentException(String.format(
                    "tlbAddr=0x%x size=%d is not a bounce buffer of this pool", tlbAddr, size));
        }
        int first = (int) ((tlbAddr - base) >> IO_TLB_SHIFT);
        int nslots = (int) ((size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT);
        if (first + nslots > nslabs || used.nextClearBit(first) < first + nslots) {
            throw new IllegalArgumentException(String.format(
                    "tlbAddr=0x%x size=%d is not reserved", tlbAddr, size));
        }
        used.clear(first, first + nslots);
        inUse -= nslots;
    }

    private static void checkRequest(long size, long align) {
        if (Long.bitCount(align) != 1 || align < IO_TLB_SIZE) {
            throw new IllegalArgumentException(
                    "align=" + align + " must be a power of two of at least " + IO_TLB_SIZE);
        }
        if (size <= 0 || size > maxMappingSize()) {
            throw new IllegalArgumentException(
                    "size=" + size + " must be from 1 to " + maxMappingSize());
        }
    }

    private static void checkMinAlignMask(long minAlignMask) {
        // below half the largest buffer: a mask of 2^18 - 1 would leave no size at all
        if ((minAlignMask & (minAlignMask + 1)) != 0 || minAlignMask < 0
                || minAlignMask >= maxMappingSize() / 2) {
            throw new IllegalArgumentException(String.format(
                    "minAlignMask=0x%x must be 0 or 2^n - 1 below %d", minAlignMask,
                    maxMappingSize() / 2));
        }
    }

    private static void checkMinAlignRequest(long size, long minAlignMask) {
        long max = maxMappingSize(minAlignMask);
        if (size <= 0 || size > max) {
            throw new IllegalArgumentException(String.format(
                    "size=%d must be from 1 to %d (minAlignMask=0x%x)", size, max, minAlignMask));
        }
    }

    /** {@code swiotlb_align_offset}: the mask's bits of {@code addr} below a slot. */
    private static long alignOffset(long addr, long minAlignMask) {
        return addr & minAlignMask & (IO_TLB_SIZE - 1);
    }

    /**
     * Whether slot {@code first}'s address agrees with {@code orig} on the mask's bits from a
     * slot up ({@code iotlb_align_mask}; the bits below are the offset's).
     */
    private boolean keepsBits(int first, long orig, long minAlignMask) {
        long above = minAlignMask & -IO_TLB_SIZE;
        return (slotAddress(first) & above) == (orig & above);
    }

    private static int slots(long size) {
        return (int) ((size + IO_TLB_SIZE - 1) >> IO_TLB_SHIFT);
    }

    /** The slots between two candidate starts: the alignment, and a page for a page or more. */
    private static int stride(long size, long align) {
        return (int) Math.max(size >= PAGE_SIZE ? SLOTS_PER_PAGE : 1, align >> IO_TLB_SHIFT);
    }

    /**
     * Whether a buffer of {@code nslots} slots may start at slot {@code first}, used slots aside:
     * aligned, inside the pool and one segment, its last byte at or below {@code limit}.
     */
    private boolean placeable(int first, int nslots, long limit, long align) {
        // the pool's base may be less aligned than asked: check the address itself
        if ((slotAddress(first) & (align - 1)) != 0 || first + nslots > nslabs) {
            return false;
        }
        // a bounce buffer may not cross an IO_TLB_SEGSIZE boundary (swiotlb's slot lists)
        if (first / IO_TLB_SEGSIZE != (first + nslots - 1) / IO_TLB_SEGSIZE) {
            return false;
        }
        long last = slotAddress(first) + ((long) nslots << IO_TLB_SHIFT) - 1;
        return Long.compareUnsigned(last, limit) <= 0;
    }

    /** Whether slots {@code [first, first + nslots)} are all free. */
    private boolean free(int first, int nslots) {
        int busy = used.nextSetBit(first);
        return busy < 0 || busy >= first + nslots;
    }

    private long slotAddress(int slot) {
        return base + ((long) slot << IO_TLB_SHIFT);
    }
}

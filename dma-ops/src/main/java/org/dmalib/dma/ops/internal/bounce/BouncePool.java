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
 * a run of at least a page starts on a page boundary, as swiotlb aligns such allocations.
 *
 * <p>Thread-safety: safe for concurrent use (every method is synchronized; swiotlb takes the
 * area lock).
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

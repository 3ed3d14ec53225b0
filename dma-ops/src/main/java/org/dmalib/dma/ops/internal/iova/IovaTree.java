package org.dmalib.dma.ops.internal.iova;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rbtree half of Linux's IOVA allocator ({@code drivers/iommu/iova.c}): allocated and
 * reserved ranges of one IOVA space, handed out top-down first fit from a cached position.
 *
 * <p>Units: every address in and out of this class is a pfn, a granule number
 * ({@code iova >> shift()}); sizes are in granules; limits are inclusive (the last granule a
 * range may cover), as in {@code alloc_iova}.
 *
 * <p>Policy, as in Linux: {@code __alloc_and_insert_iova_range} walks down from
 * {@code cached32_node} (limits below 4 GiB) or {@code cached_node}; if the space below the
 * cache point has no room it searches once more the part above it ("retry_pfn"); a failed
 * search (of any limit: one above 4 GiB covered the 32-bit space too) records
 * {@code max32_alloc_size} so that no 32-bit request of that size or more searches again until
 * a range starting below 4 GiB is freed; {@code __cached_rbnode_delete_update} moves
 * the cache points up on a free at or above them. An anchor range at the top ({@code IOVA_ANCHOR})
 * keeps the tree non-empty.
 *
 * <p>Structure: the ranges are a doubly linked list in address order (Linux's {@code rb_prev}
 * and {@code rb_next}, O(1)) indexed by a {@link TreeMap} on the first granule (find, insert
 * position and {@code iova_find_limit}, O(log n)). The search is the Linux walk over the list.
 *
 * <p>Thread-safety: safe for concurrent use; every operation holds one lock (Linux's
 * {@code iova_rbtree_lock}). This class is usable on its own (no per-CPU caches);
 * {@link IovaDomain} puts the caches in front of it.
 */
public final class IovaTree {
    /** The smallest granule accepted, 4 KiB (the arm64 SMMU's smallest page). */
    public static final long MIN_GRANULE = 4096;
    /** The largest granule accepted, 64 KiB (arm64's largest translation granule). */
    public static final long MAX_GRANULE = 65536;

    // IOVA_ANCHOR = ~0UL in iova.c: the sentinel sits above any pfn (pfns are < 2^52 here)
    private static final long ANCHOR_PFN = Long.MAX_VALUE;

    private final long granule;
    private final int shift;
    private final long startPfn;
    private final long endPfn;
    private final long dma32Pfn;
    private final Node anchor = new Node(ANCHOR_PFN, ANCHOR_PFN, true);

    // iova_rbtree_lock: one lock for the tree, the cache points and max32_alloc_size
    private final Object lock = new Object();

    @GuardedBy("lock")
    private final TreeMap<Long, Node> byLo = new TreeMap<>();
    @GuardedBy("lock")
    private Node first = anchor;
    @GuardedBy("lock")
    private Node cachedNode = anchor;
    @GuardedBy("lock")
    private Node cached32Node = anchor;
    @GuardedBy("lock")
    private long max32AllocSize;
    @GuardedBy("lock")
    private long allocated;

    /**
     * Creates an empty IOVA space ({@code init_iova_domain}).
     *
     * @param granule bytes per granule, a power of two from {@link #MIN_GRANULE} to
     *     {@link #MAX_GRANULE}
     * @param startPfn the lowest granule ever handed out, at least 1 (dma-iommu uses
     *     {@code max(1, aperture_start >> shift)} so that IOVA 0 is never handed out)
     * @param endPfn the highest granule ever handed out, the aperture's end {@code >>> shift};
     *     limits above it are clamped to it (dma-iommu's {@code force_aperture})
     * @throws IllegalArgumentException naming the bad value
     */
    public IovaTree(long granule, long startPfn, long endPfn) {
        if (granule < MIN_GRANULE || granule > MAX_GRANULE || Long.bitCount(granule) != 1) {
            throw new IllegalArgumentException("granule=" + granule + " must be a power of two from "
                    + MIN_GRANULE + " to " + MAX_GRANULE);
        }
        int s = Long.numberOfTrailingZeros(granule);
        if (startPfn < 1 || endPfn < startPfn || endPfn > (-1L >>> s)) {
            throw new IllegalArgumentException(String.format(
                    "startPfn=0x%x endPfn=0x%x: need 1 <= startPfn <= endPfn <= 0x%x",
                    startPfn, endPfn, -1L >>> s));
        }
        this.granule = granule;
        this.shift = s;
        this.startPfn = startPfn;
        this.endPfn = endPfn;
        // dma_32bit_pfn = 1UL << (32 - iova_shift(iovad)): the first granule at or above 4 GiB
        this.dma32Pfn = 1L << (32 - s);
        synchronized (lock) {
            byLo.put(ANCHOR_PFN, anchor);
            max32AllocSize = dma32Pfn;
        }
    }

    /** {@return the granule in bytes} */
    public long granule() {
        return granule;
    }

    /** {@return log2 of the granule} */
    public int shift() {
        return shift;
    }

    /** {@return the lowest granule ever handed out} */
    public long startPfn() {
        return startPfn;
    }

    /** {@return the highest granule ever handed out} */
    public long endPfn() {
        return endPfn;
    }

    /** {@return the first granule at or above 4 GiB ({@code dma_32bit_pfn})} */
    public long dma32Pfn() {
        return dma32Pfn;
    }

    /**
     * Allocates {@code size} granules at or below {@code limitPfn} ({@code alloc_iova}).
     *
     * @param size granules, at least 1; not rounded
     * @param limitPfn the last granule the range may cover, at least {@link #startPfn()};
     *     clamped to {@link #endPfn()}
     * @param sizeAligned whether the range must be naturally aligned to the next power of two
     *     of {@code size} ({@code align_mask = ~0 << fls(size - 1)})
     * @return the first granule of the range
     * @throws IovaExhaustedException if no free range fits; then only {@code max32_alloc_size}
     *     changed, as in Linux
     * @throws IllegalArgumentException if {@code size} or {@code limitPfn} is out of range
     */
    public long alloc(long size, long limitPfn, boolean sizeAligned) {
        long limit = checkAlloc(size, limitPfn);
        long pfn = allocAndInsert(size, limit + 1, sizeAligned);
        if (pfn == 0) {
            throw new IovaExhaustedException(size, limit);
        }
        return pfn;
    }

    /**
     * As {@link #alloc} but returns 0 when no free range fits (0 is below {@link #startPfn()}),
     * as Linux does; for callers that fall back (the 32-bit-first policy).
     *
     * @param size granules, at least 1; not rounded
     * @param limitPfn the last granule the range may cover, at least {@link #startPfn()}
     * @param sizeAligned whether the range must be naturally aligned
     * @return the first granule of the range, or 0
     * @throws IllegalArgumentException if {@code size} or {@code limitPfn} is out of range
     */
    public long tryAlloc(long size, long limitPfn, boolean sizeAligned) {
        return allocAndInsert(size, checkAlloc(size, limitPfn) + 1, sizeAligned);
    }

    /**
     * Frees an allocated range ({@code free_iova}, stricter: the range must be exactly one
     * allocation).
     *
     * @param pfn the first granule {@link #alloc} returned
     * @param size the size in granules that was allocated
     * @throws UnknownIovaException if no allocated range starts at {@code pfn} with that size,
     *     or it is reserved; then nothing changed
     */
    public void free(long pfn, long size) {
        synchronized (lock) {
            remove(checkedNode(pfn, size));
        }
    }

    /**
     * Frees the {@code count} ranges of {@code pfns} from index {@code from}, each {@code size}
     * granules, under one lock acquisition ({@code iova_magazine_free_pfns}). Every range must
     * be allocated.
     */
    void freeAll(long[] pfns, int from, int count, long size) {
        synchronized (lock) {
            for (int i = from; i < from + count; i++) {
                remove(checkedNode(pfns[i], size));
            }
        }
    }

    /**
     * Reserves {@code [pfnLo, pfnHi]} so that it is never handed out ({@code reserve_iova}:
     * an MSI window, a host bridge's MMIO). A range overlapping reserved ranges is merged with
     * them as Linux does (the first overlapping range grows down, the rest above the last one is
     * inserted). Reserved ranges are never freed.
     *
     * <p>Unlike Linux (which only reserves at initialisation and would silently extend an
     * allocation), a range that overlaps an allocated range is refused.
     *
     * @param pfnLo the first granule, not negative
     * @param pfnHi the last granule, from {@code pfnLo} to {@code 2^(64 - shift) - 1}
     * @throws IllegalArgumentException if the bounds are bad or the range overlaps an allocated
     *     range; then nothing changed
     */
    public void reserve(long pfnLo, long pfnHi) {
        if (pfnLo < 0 || pfnHi < pfnLo || pfnHi > (-1L >>> shift)) {
            throw new IllegalArgumentException(String.format(
                    "reserve [0x%x, 0x%x]: need 0 <= pfnLo <= pfnHi <= 0x%x", pfnLo, pfnHi, -1L >>> shift));
        }
        synchronized (lock) {
            for (Node n = first; n != anchor && n.lo <= pfnHi; n = n.next) {
                if (n.hi >= pfnLo && !n.reserved) {
                    throw new IllegalArgumentException(String.format(
                            "reserve [0x%x, 0x%x] overlaps the allocated range [0x%x, 0x%x]",
                            pfnLo, pfnHi, n.lo, n.hi));
                }
            }
            long lo = pfnLo;
            boolean overlap = false;
            for (Node n = first; n != anchor; n = n.next) {
                if (n.lo <= pfnHi && n.hi >= lo) {
                    // __adjust_overlap_range
                    if (lo < n.lo) {
                        byLo.remove(n.lo);
                        n.lo = lo;
                        byLo.put(lo, n);
                    }
                    if (pfnHi <= n.hi) {
                        return;
                    }
                    lo = n.hi + 1;
                    overlap = true;
                } else if (overlap) {
                    break;
                }
            }
            Node node = new Node(lo, pfnHi, true);
            linkBefore(byLo.ceilingEntry(lo).getValue(), node);
        }
    }

    /**
     * Returns the range containing {@code pfn} ({@code find_iova}), or null.
     *
     * @param pfn any granule
     * @return a snapshot of the range, or null if {@code pfn} is in no range
     */
    public IovaRange find(long pfn) {
        synchronized (lock) {
            Map.Entry<Long, Node> e = byLo.floorEntry(pfn);
            if (e == null || e.getValue() == anchor || e.getValue().hi < pfn) {
                return null;
            }
            return e.getValue().range();
        }
    }

    /** {@return a snapshot of every range (allocated and reserved) in address order} */
    public List<IovaRange> ranges() {
        synchronized (lock) {
            List<IovaRange> out = new ArrayList<>();
            for (Node n = first; n != anchor; n = n.next) {
                out.add(n.range());
            }
            return out;
        }
    }

    /** {@return how many allocated (not reserved) ranges the tree holds} */
    public long allocatedCount() {
        synchronized (lock) {
            return allocated;
        }
    }

    /** Returns {@code max32_alloc_size}: 32-bit requests of this many granules or more fail fast. */
    long max32AllocSize() {
        synchronized (lock) {
            return max32AllocSize;
        }
    }

    /** Returns the first granule of {@code cached_node} (of the anchor when it is the anchor). */
    long cachedPfn() {
        synchronized (lock) {
            return cachedNode.lo;
        }
    }

    /** Returns the first granule of {@code cached32_node} (of the anchor when it is the anchor). */
    long cached32Pfn() {
        synchronized (lock) {
            return cached32Node.lo;
        }
    }

    private long checkAlloc(long size, long limitPfn) {
        if (size < 1) {
            throw new IllegalArgumentException("size=" + size + " granules must be at least 1");
        }
        if (limitPfn < startPfn) {
            throw new IllegalArgumentException(String.format(
                    "limitPfn=0x%x is below startPfn=0x%x", limitPfn, startPfn));
        }
        return Math.min(limitPfn, endPfn);
    }

    /**
     * {@code __alloc_and_insert_iova_range}, line for line; {@code limitExcl} is exclusive as
     * there. Returns the new range's first granule or 0.
     */
    private long allocAndInsert(long size, long limitExcl, boolean sizeAligned) {
        // align_mask <<= fls_long(size - 1): natural alignment to roundup_pow_of_two(size)
        long alignMask = sizeAligned ? -1L << (64 - Long.numberOfLeadingZeros(size - 1)) : -1L;
        long high = limitExcl;
        long low = startPfn;
        synchronized (lock) {
            if (limitExcl <= dma32Pfn && size >= max32AllocSize) {
                return 0;
            }
            Node curr = limitExcl <= dma32Pfn ? cached32Node : cachedNode;
            long retryPfn = curr.hi;
            boolean retried = false;
            Node prev;
            long newPfn;
            while (true) {
                do {
                    high = Math.min(high, curr.lo);
                    // signed: high - size < 0 (no room) stays below low and ends the walk
                    newPfn = (high - size) & alignMask;
                    prev = curr;
                    curr = curr.prev;
                } while (curr != null && newPfn <= curr.hi && newPfn >= low);
                if (high >= size && newPfn >= low) {
                    break;
                }
                // the second pass, over the part above the cache point; `retried` only matters
                // when a reserved range below startPfn was the cache point (Linux would loop)
                if (!retried && low == startPfn && retryPfn < limitExcl) {
                    retried = true;
                    high = limitExcl;
                    low = retryPfn + 1;
                    curr = findLimit(limitExcl);
                    continue;
                }
                // unconditional in Linux too: a failed search that covered everything below a
                // higher limit also covered the 32-bit space
                max32AllocSize = size;
                return 0;
            }
            Node node = new Node(newPfn, newPfn + size - 1, false);
            linkBefore(prev, node);
            allocated++;
            // __cached_rbnode_insert_update
            if (node.hi < dma32Pfn) {
                cached32Node = node;
            } else {
                cachedNode = node;
            }
            return newPfn;
        }
    }

    /**
     * {@code iova_find_limit}: where the second pass starts. Above 4 GiB the anchor (Linux's
     * "crude approximation"); else the lowest range reaching {@code limitExcl} or beyond.
     */
    @GuardedBy("lock")
    private Node findLimit(long limitExcl) {
        if (limitExcl > dma32Pfn) {
            return anchor;
        }
        Map.Entry<Long, Node> e = byLo.floorEntry(limitExcl);
        if (e != null && e.getValue().hi >= limitExcl) {
            return e.getValue();
        }
        return byLo.ceilingEntry(limitExcl).getValue();
    }

    @GuardedBy("lock")
    private Node checkedNode(long pfn, long size) {
        Node n = byLo.get(pfn);
        if (n == null || n == anchor) {
            throw new UnknownIovaException(pfn, size, "no range starts there");
        }
        if (n.reserved) {
            throw new UnknownIovaException(pfn, size, "the range is reserved");
        }
        if (n.hi - n.lo + 1 != size) {
            throw new UnknownIovaException(pfn, size, "the range there has " + (n.hi - n.lo + 1) + " granules");
        }
        return n;
    }

    @GuardedBy("lock")
    private void remove(Node n) {
        // __cached_rbnode_delete_update; n.next exists: the anchor is above every range
        if (n == cached32Node || (n.hi < dma32Pfn && n.lo >= cached32Node.lo)) {
            cached32Node = n.next;
        }
        if (n.lo < dma32Pfn) {
            max32AllocSize = dma32Pfn;
        }
        if (n.lo >= cachedNode.lo) {
            cachedNode = n.next;
        }
        byLo.remove(n.lo);
        if (n.prev == null) {
            first = n.next;
        } else {
            n.prev.next = n.next;
        }
        n.next.prev = n.prev;
        allocated--;
    }

    @GuardedBy("lock")
    private void linkBefore(Node above, Node n) {
        n.next = above;
        n.prev = above.prev;
        if (above.prev == null) {
            first = n;
        } else {
            above.prev.next = n;
        }
        above.prev = n;
        byLo.put(n.lo, n);
    }

    /** A range of the tree; its fields are guarded by the tree's lock. */
    private static final class Node {
        long lo;
        final long hi;
        final boolean reserved;
        Node prev;
        Node next;

        Node(long lo, long hi, boolean reserved) {
            this.lo = lo;
            this.hi = hi;
            this.reserved = reserved;
        }

        IovaRange range() {
            return new IovaRange(lo, hi, reserved);
        }
    }
}

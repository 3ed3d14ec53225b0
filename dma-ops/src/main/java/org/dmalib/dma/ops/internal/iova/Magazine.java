package org.dmalib.dma.ops.internal.iova;

/**
 * A magazine of cached ranges of one size class ({@code struct iova_magazine}): a stack of
 * first granules. Not thread-safe: guarded by the lock of whoever holds it (a per-CPU cache or
 * the depot).
 */
final class Magazine {
    // IOVA_MAG_SIZE = 127: with its size word a magazine is exactly 1 KiB (iova.c)
    static final int IOVA_MAG_SIZE = 127;

    final long[] pfns = new long[IOVA_MAG_SIZE];
    int size;

    boolean isEmpty() {
        return size == 0;
    }

    boolean isFull() {
        return size == IOVA_MAG_SIZE;
    }

    void push(long pfn) {
        pfns[size++] = pfn;
    }

    /**
     * {@code iova_magazine_pop}: searches from the top for a pfn at or below {@code maxPfn} and
     * moves the top entry into its slot. Returns 0 (a miss) if none fits. Not empty.
     */
    long pop(long maxPfn) {
        int i = size - 1;
        while (pfns[i] > maxPfn) {
            if (i == 0) {
                return 0;
            }
            i--;
        }
        long pfn = pfns[i];
        pfns[i] = pfns[--size];
        return pfn;
    }
}

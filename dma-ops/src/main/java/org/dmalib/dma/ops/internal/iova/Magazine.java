package org.dmalib.dma.ops.internal.iova;

/**
 * A magazine of cached ranges of one size class ({@code struct iova_magazine}): a stack of
 * first granules, laid out as Linux's: one size word, then the pfns, in one 1 KiB array (so the
 * size word, written on every push and pop, shares no cache line with another CPU's small
 * objects).
 *
 * <p>Not thread-safe: guarded by the lock of whoever holds it (a per-CPU cache or the depot).
 */
final class Magazine {
    // IOVA_MAG_SIZE = 127: with its size word a magazine is exactly 1 KiB (iova.c)
    static final int IOVA_MAG_SIZE = 127;

    // words[0] is the size, words[1..size] the pfns, the top at words[size]
    private final long[] words = new long[IOVA_MAG_SIZE + 1];

    int size() {
        return (int) words[0];
    }

    boolean isEmpty() {
        return words[0] == 0;
    }

    boolean isFull() {
        return words[0] == IOVA_MAG_SIZE;
    }

    /** Pushes {@code pfn}; not full. */
    void push(long pfn) {
        int n = (int) words[0] + 1;
        words[n] = pfn;
        words[0] = n;
    }

    /**
     * {@code iova_magazine_pop}: searches from the top for a pfn at or below {@code maxPfn} and
     * moves the top entry into its slot. Returns 0 (a miss) if none fits. Not empty.
     */
    long pop(long maxPfn) {
        int n = (int) words[0];
        int i = n;
        while (words[i] > maxPfn) {
            if (i == 1) {
                return 0;
            }
            i--;
        }
        long pfn = words[i];
        words[i] = words[n];
        words[0] = n - 1L;
        return pfn;
    }

    /** {@code iova_magazine_free_pfns}: every range back to {@code tree}, then empty. */
    void drainTo(IovaTree tree, long rangeSize) {
        tree.freeAll(words, 1, (int) words[0], rangeSize);
        words[0] = 0;
    }
}

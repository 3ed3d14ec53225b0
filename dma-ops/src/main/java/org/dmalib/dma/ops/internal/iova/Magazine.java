package org.dmalib.dma.ops.internal.iova;

/**
 * A magazine of cached ranges of one size class ({@code struct iova_magazine}): a stack of
 * first granules, laid out as Linux's: one size word, then the pfns, in one array, with a
 * cache line of padding before the size word and after the last pfn, so that the words written
 * on every push and pop share no cache line with any other object (another CPU's magazine, say),
 * wherever the collector puts the array.
 *
 * <p>Not thread-safe: guarded by the lock of whoever holds it (a per-CPU cache or the depot).
 */
final class Magazine {
    // IOVA_MAG_SIZE = 127: with its size word a magazine holds 1 KiB, as in iova.c
    static final int IOVA_MAG_SIZE = 127;
    // 8 longs = 64 bytes, a cache line: the padding on each side of the written words
    private static final int PAD = 8;
    // the size word's index; the pfns follow it, the top at SIZE + size
    private static final int SIZE = PAD;

    private final long[] words = new long[PAD + IOVA_MAG_SIZE + 1 + PAD];

    int size() {
        return (int) words[SIZE];
    }

    boolean isEmpty() {
        return words[SIZE] == 0;
    }

    boolean isFull() {
        return words[SIZE] == IOVA_MAG_SIZE;
    }

    void push(long pfn) {
        int n = (int) words[SIZE] + 1;
        words[SIZE + n] = pfn;
        words[SIZE] = n;
    }

    long pop(long maxPfn) {
        int n = (int) words[SIZE];
        int i = n;
        while (words[SIZE + i] > maxPfn) {
            if (i == 1) {
                return 0;
            }
            i--;
        }
        long pfn = words[SIZE + i];
        words[SIZE + i] = words[SIZE + n];
        words[SIZE] = n - 1L;
        return pfn;
    }

    void drainTo(IovaTree tree, long rangeSize) {
        tree.freeAll(words, SIZE + 1, (int) words[SIZE], rangeSize);
        words[SIZE] = 0;
    }
}

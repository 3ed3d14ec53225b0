package org.dmalib.dma.ops.internal.iova;

/**
 * A full or empty magazine of cached ranges of one size class in the depot
 * ({@code struct iova_magazine}): one size word, then the pfns, in one array. A CPU's own two
 * magazines per class live in its {@link CpuCache}'s array; a magazine going to the depot is
 * copied in here, one coming back is copied out (once per {@value #IOVA_MAG_SIZE} operations at
 * most), so the CPU's fast path never loads through a magazine object.
 *
 * <p>Not thread-safe: guarded by the lock of whoever holds it (the depot, or the CPU whose spare
 * it is).
 */
final class Magazine {
    // IOVA_MAG_SIZE = 127: with its size word a magazine holds 1 KiB, as in iova.c
    static final int IOVA_MAG_SIZE = 127;
    // the size word's index; the pfns follow it
    private static final int SIZE = 0;

    private final long[] words = new long[1 + IOVA_MAG_SIZE];

    /**
     * Copies {@code count} pfns in from {@code src} at {@code from}: a CPU's full magazine.
     *
     * @param count 0 to {@value #IOVA_MAG_SIZE}; the magazine is empty before
     */
    void load(long[] src, int from, int count) {
        System.arraycopy(src, from, words, SIZE + 1, count);
        words[SIZE] = count;
    }

    /**
     * Moves the pfns out to {@code dst} at {@code at}, bottom first (the magazine is empty after).
     *
     * @return the index after the last pfn copied
     */
    int moveTo(long[] dst, int at) {
        int n = (int) words[SIZE];
        System.arraycopy(words, SIZE + 1, dst, at, n);
        words[SIZE] = 0;
        return at + n;
    }

    /** Returns every pfn to {@code tree} as a range of {@code rangeSize} granules; empties it. */
    void drainTo(IovaTree tree, long rangeSize) {
        tree.freeAll(words, SIZE + 1, (int) words[SIZE], rangeSize);
        words[SIZE] = 0;
    }
}

package org.dmalib.hw.internal.smmu;

/**
 * The packed form of a leaf translation, as the walker returns it and the TLBs store it: one
 * non-negative long, so that the hot path allocates nothing.
 *
 * <pre>
 *  63 ........ 12  11..10  9..8   7..2   1          0
 *  output base     0       level  shift  unpriv-ok  writable
 * </pre>
 * The output base is aligned to {@code 2^shift} (at least 4 KiB), so the low 12 bits are free.
 * A negative value instead is a fault: minus the SMMUv3 event ID.
 */
final class Leaf {
    private Leaf() {}

    static final long WRITABLE = 1L << 0;
    static final long UNPRIV = 1L << 1;
    private static final int SHIFT_POS = 2;
    private static final int LEVEL_POS = 8;
    private static final long LOW_BITS = 0xfffL;

    static long pack(long outBase, int shift, int level, boolean writable, boolean unpriv) {
        return outBase | ((long) shift << SHIFT_POS) | ((long) level << LEVEL_POS)
                | (writable ? WRITABLE : 0) | (unpriv ? UNPRIV : 0);
    }

    static int shift(long leaf) {
        return (int) (leaf >>> SHIFT_POS) & 0x3f;
    }

    static int level(long leaf) {
        return (int) (leaf >>> LEVEL_POS) & 0x3;
    }

    /** Returns the physical address of {@code va} under this translation. */
    static long output(long leaf, long va) {
        return (leaf & ~LOW_BITS) | (va & ((1L << shift(leaf)) - 1));
    }
}

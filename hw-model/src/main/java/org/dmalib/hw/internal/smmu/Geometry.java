package org.dmalib.hw.internal.smmu;

/**
 * VMSAv8-64 translation geometry, the formulas of io-pgtable-arm.c (reference
 * linux-dma-iommu.md section 4.2): with {@code g = log2(granule)} and
 * {@code bitsPerLevel = g - 3}, a level-{@code l} entry maps {@code 2^levelShift(l)} bytes and a
 * walk for an {@code ias}-bit input address starts at level {@code 4 - levels}.
 */
final class Geometry {
    private Geometry() {}

    /** lvl_shift(l) = (4 - l) * bits_per_level + 3. */
    static int levelShift(int level, int bitsPerLevel) {
        return (4 - level) * bitsPerLevel + 3;
    }

    /** start_level = 4 - ceil((ias - pg_shift) / bits_per_level). */
    static int startLevel(int ias, int granuleShift) {
        int bitsPerLevel = granuleShift - 3;
        int levels = (ias - granuleShift + bitsPerLevel - 1) / bitsPerLevel;
        return 4 - levels;
    }

    /**
     * Returns the shallowest level that may hold a block descriptor: 1 (1 GiB) for 4 KiB
     * granules, 2 (32 MiB, 512 MiB) for 16 KiB and 64 KiB granules, whose level-1 blocks need
     * 52-bit addresses (reference section 4.1).
     */
    static int firstBlockLevel(int granuleShift) {
        return granuleShift == 12 ? 1 : 2;
    }
}

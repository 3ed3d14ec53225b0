package org.dmalib.iommu.smmu.internal.pgtable;

import org.dmalib.iommu.api.PageSizes;

/**
 * The shape of one ARM LPAE stage-1 page table ({@code struct io_pgtable_cfg} plus the geometry
 * {@code arm_lpae_alloc_pgtable} derives from it). The geometry follows reference
 * linux-dma-iommu.md §4.2 exactly:
 *
 * <pre>
 * pg_shift       = log2(granule)            bits_per_level = pg_shift - 3
 * va_bits        = ias - pg_shift           levels = ceil(va_bits / bits_per_level)
 * start_level    = 4 - levels               pgd_bits = va_bits - bits_per_level * (levels - 1)
 * lvl_shift(l)   = (4 - l) * bits_per_level + 3   (a level-l entry maps 2^lvl_shift(l) bytes)
 * pgd allocation = max(8 * 2^pgd_bits, 64) bytes
 * </pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param granule the translation granule in bytes: 4096, 16384 or 65536
 * @param ias input (IOVA) address size in bits: 16 to 48, and more than {@code log2(granule)}
 *     (at least one bit of table index)
 * @param oas output (physical) address size in bits: one the CD's IPS field encodes, 32, 36, 40,
 *     42, 44 or 48 (Linux's {@code arm_64_lpae_alloc_pgtable_s1} refuses any other)
 * @param coherentWalk whether the SMMU's table walker snoops the CPU caches (SMMU_IDR0.COHACC with
 *     cacheable walk attributes); if not, every PTE write is cleaned to the Point of Coherency
 */
public record LpaeConfig(int granule, int ias, int oas, boolean coherentWalk) {
    /** ARM_LPAE_MAX_LEVELS: a VMSAv8-64 walk has at most levels 0 to 3. */
    static final int MAX_LEVELS = 4;
    /** The last level: only pages (type 0b11) there. */
    static final int LAST_LEVEL = MAX_LEVELS - 1;
    /** log2 of a PTE's size: 8 bytes (reference §4.1). */
    static final int PTE_SHIFT = 3;
    /** Smallest table allocation: 64 bytes, the hardware's minimum table alignment (§4.2). */
    static final int MIN_TABLE_BYTES = 64;
    /** IAS/OAS cap without 52-bit support (io-pgtable caps at 48 for 4K/16K granules, §4.1). */
    static final int MAX_ADDR_BITS = 48;
    /** Smallest IAS accepted: the SMMUv3 T0SZ maximum is 48 (64 - 48 = 16 bits of input). */
    static final int MIN_IAS = 16;
    /** Smallest OAS accepted: SMMU_IDR5.OAS starts at 32 bits (encoding 0b000). */
    static final int MIN_OAS = 32;
    /**
     * The OAS values with an IPS encoding, 0b000 to 0b101 (bit n set: n bits); 52 needs 52-bit
     * support. Linux's {@code arm_64_lpae_alloc_pgtable_s1} fails the table for any other.
     */
    private static final long IPS_SIZES =
            1L << 32 | 1L << 36 | 1L << 40 | 1L << 42 | 1L << 44 | 1L << 48;

    private static final int GRANULE_4K = 4096;
    private static final int GRANULE_16K = 16384;
    private static final int GRANULE_64K = 65536;

    /**
     * Validates the shape.
     *
     * @param granule the translation granule in bytes: 4096, 16384 or 65536
     * @param ias input (IOVA) address size in bits: 16 to 48, and more than {@code log2(granule)}
     * @param oas output (physical) address size in bits: 32, 36, 40, 42, 44 or 48
     * @param coherentWalk whether the SMMU's table walker snoops the CPU caches
     * @throws IllegalArgumentException naming the bad value
     */
    public LpaeConfig {
        if (granule != GRANULE_4K && granule != GRANULE_16K && granule != GRANULE_64K) {
            throw new IllegalArgumentException(
                    "granule=" + granule + " must be 4096, 16384 or 65536");
        }
        int pgShift = Integer.numberOfTrailingZeros(granule);
        if (ias < MIN_IAS || ias > MAX_ADDR_BITS || ias <= pgShift) {
            throw new IllegalArgumentException("ias=" + ias + " must be from "
                    + Math.max(MIN_IAS, pgShift + 1) + " to " + MAX_ADDR_BITS + " for granule="
                    + granule);
        }
        if (oas < MIN_OAS || oas > MAX_ADDR_BITS || (IPS_SIZES & 1L << oas) == 0) {
            // oas in [32, 48] here: the shift is in range
            throw new IllegalArgumentException(
                    "oas=" + oas + " must be one of 32, 36, 40, 42, 44, 48 (an IPS encoding)");
        }
    }

    /** Returns {@code pg_shift = log2(granule)}. */
    int pgShift() {
        return Integer.numberOfTrailingZeros(granule);
    }

    /** Returns {@code bits_per_level = pg_shift - 3}: a table holds {@code granule / 8} PTEs. */
    int bitsPerLevel() {
        return pgShift() - PTE_SHIFT;
    }

    /** {@return the number of levels a walk visits: {@code ceil((ias - pg_shift) / bits_per_level)}} */
    public int levels() {
        int vaBits = ias - pgShift();
        return (vaBits + bitsPerLevel() - 1) / bitsPerLevel();
    }

    /** {@return the level of the pgd, {@code 4 - levels()}: 0 to 3} */
    public int startLevel() {
        return MAX_LEVELS - levels();
    }

    /** Returns {@code pgd_bits = va_bits - bits_per_level * (levels - 1)}: log2 of the pgd's entries. */
    int pgdBits() {
        return ias - pgShift() - bitsPerLevel() * (levels() - 1);
    }

    /** {@return the bytes allocated for the pgd: {@code max(8 << pgd_bits, 64)}} */
    public int pgdBytes() {
        return Math.max(1 << (pgdBits() + PTE_SHIFT), MIN_TABLE_BYTES);
    }

    /** {@return the CD's T0SZ field for this table: {@code 64 - ias}} */
    public int t0sz() {
        return Long.SIZE - ias;
    }

    /** Returns the first IOVA beyond the input range: {@code 2^ias}. */
    long inputLimit() {
        return 1L << ias;
    }

    /** Returns {@code lvl_shift(level) = (4 - level) * bits_per_level + 3}. */
    int levelShift(int level) {
        return (MAX_LEVELS - level) * bitsPerLevel() + PTE_SHIFT;
    }

    /** Returns the bytes one entry at {@code level} maps: {@code 2^lvl_shift(level)}. */
    long blockSize(int level) {
        return 1L << levelShift(level);
    }

    /** Returns the entries of a table at {@code level}: the pgd's {@code 2^pgd_bits}, else {@code granule / 8}. */
    int entries(int level) {
        return 1 << (level == startLevel() ? pgdBits() : bitsPerLevel());
    }

    /** Returns the bytes allocated for a table at {@code level}. */
    int tableBytes(int level) {
        return level == startLevel() ? pgdBytes() : granule;
    }

    /** Returns {@code idx(iova, level)}: the entry of the level-{@code level} table that maps {@code iova}. */
    int index(long iova, int level) {
        return (int) ((iova >>> levelShift(level)) & (entries(level) - 1));
    }

    /**
     * Returns {@code max_entries}: how many entries from {@code iova}'s to the end of its table at
     * {@code level}, the most one map or unmap call may touch (§4.4). At the start level the
     * table is the pgd, which may hold fewer entries than a granule's worth.
     */
    int maxEntries(long iova, int level) {
        return entries(level) - index(iova, level);
    }

    /**
     * Returns the shallowest level allowed to hold a block: level 1 (1 GiB) with a 4 KiB
     * granule; level 2 with 16 KiB and 64 KiB granules, whose level-1 blocks (64 GiB, 4 TiB) need
     * 52-bit output addresses (§4.1).
     */
    int firstBlockLevel() {
        return granule == GRANULE_4K ? 1 : 2;
    }

    /**
     * {@return the leaf sizes this table can map: 4K→{4K, 2M, 1G}, 16K→{16K, 32M},
     * 64K→{64K, 512M}, minus the block sizes above the start level (a 1 GiB block needs a level-1
     * table, so a 4 KiB-granule table with {@code ias < 31} starting at level 2 offers {4K, 2M})}
     */
    public PageSizes pageSizes() {
        return PageSizes.ofBitmap(pageSizeBitmap());
    }

    /** The bitmap of {@link #pageSizes()}, without making the set (map and unmap ask per call). */
    private long pageSizeBitmap() {
        long bitmap = 0;
        for (int l = Math.max(startLevel(), firstBlockLevel()); l <= LAST_LEVEL; l++) {
            bitmap |= blockSize(l);
        }
        return bitmap;
    }

    /**
     * Returns the level whose entries are {@code pgsize} bytes, if {@code pgsize} is one of
     * {@link #pageSizes()}.
     *
     * @param pgsize any value
     * @return the level, or -1 if {@code pgsize} is not a page size of this table
     */
    int levelOf(long pgsize) {
        if (pgsize <= 0 || Long.bitCount(pgsize) != 1 || (pageSizeBitmap() & pgsize) == 0) {
            return -1;
        }
        int shift = Long.numberOfTrailingZeros(pgsize);
        return MAX_LEVELS - (shift - PTE_SHIFT) / bitsPerLevel();
    }
}

package org.dmalib.iommu.smmu.internal.pgtable;

import org.dmalib.iommu.api.IommuProt;

/**
 * The VMSAv8-64 stage-1 descriptor encoding io-pgtable-arm.c writes ({@code ARM_LPAE_PTE_*},
 * reference linux-dma-iommu.md §4.3), as the SMMU's walker reads it
 * ({@code org.dmalib.hw.smmu.DescriptorLayout}).
 *
 * <pre>
 *  63..56  55       54   53   52..48  47 ............ 12  11  10  9..8  7      6      5   4..2      1..0
 *  -       SW_SYNC  UXN  PXN  -       output address      nG  AF  SH    AP[2]  AP[1]  NS  AttrIndx  type
 *          (sw)     \ XN /            (or next table)                   (RO)   (EL0)
 * type: 0b00 invalid, 0b01 block (levels 1-2), 0b11 table (levels 0-2) or page (level 3)
 * </pre>
 *
 * <p>Thread-safety: stateless.
 */
final class LpaePte {
    private LpaePte() {}

    /** Type bits [1:0]. */
    static final long TYPE_MASK = 0b11;
    /** Type: block, a leaf above the last level (ARM_LPAE_PTE_TYPE_BLOCK). */
    static final long TYPE_BLOCK = 0b01;
    /** Type: pointer to the next-level table (ARM_LPAE_PTE_TYPE_TABLE), levels 0 to 2. */
    static final long TYPE_TABLE = 0b11;
    /** Type: page, the leaf of the last level (ARM_LPAE_PTE_TYPE_PAGE). */
    static final long TYPE_PAGE = 0b11;

    /** AttrIndx field position, bits 4:2 (ARM_LPAE_PTE_ATTRINDX_SHIFT). */
    static final int ATTRINDX_SHIFT = 2;
    /** AttrIndx field mask. */
    static final long ATTRINDX_MASK = 0b111L << ATTRINDX_SHIFT;
    /** MAIR index 0: Normal non-cacheable, MAIR attribute 0x44 (ARM_LPAE_MAIR_ATTR_IDX_NC). */
    static final int ATTR_IDX_NC = 0;
    /** MAIR index 1: Normal write-back read/write-allocate, 0xff (ARM_LPAE_MAIR_ATTR_IDX_CACHE). */
    static final int ATTR_IDX_CACHE = 1;
    /** MAIR index 2: Device-nGnRE, 0x04 (ARM_LPAE_MAIR_ATTR_IDX_DEV). */
    static final int ATTR_IDX_DEV = 2;
    /** AP[1], bit 6: unprivileged access allowed (ARM_LPAE_PTE_AP_UNPRIV). */
    static final long AP_UNPRIV = 1L << 6;
    /** AP[2], bit 7: read-only (ARM_LPAE_PTE_AP_RDONLY, Linux's {@code 2 << 6}). */
    static final long AP_RDONLY = 1L << 7;
    /** SH field, bits 9:8 (ARM_LPAE_PTE_SH_*). */
    static final long SH_MASK = 0b11L << 8;
    /** SH: outer shareable, 0b10 (ARM_LPAE_PTE_SH_OS). */
    static final long SH_OS = 0b10L << 8;
    /** SH: inner shareable, 0b11 (ARM_LPAE_PTE_SH_IS). */
    static final long SH_IS = 0b11L << 8;
    /** AF, bit 10: access flag, always set; a clear AF faults on the first access. */
    static final long AF = 1L << 10;
    /** nG, bit 11: not global, so entries are tagged with the ASID. */
    static final long NG = 1L << 11;
    /** Output / next-table address, bits 47:12 (ARM_LPAE_PTE_ADDR_MASK without 52-bit PAs). */
    static final long ADDR_MASK = ((1L << 48) - 1) & ~((1L << 12) - 1);
    /** PXN, bit 53: privileged execute-never. */
    static final long PXN = 1L << 53;
    /** UXN (XN), bit 54: unprivileged execute-never. */
    static final long UXN = 1L << 54;
    /** ARM_LPAE_PTE_XN: Linux sets both UXN and PXN ({@code 3 << 53}) for IOMMU_NOEXEC. */
    static final long XN = UXN | PXN;
    /**
     * ARM_LPAE_PTE_SW_SYNC, bit 55 (software use, ignored by the walker): this table PTE has been
     * cleaned to the Point of Coherency, so later walkers of the table need not clean it again.
     * Set only with non-coherent walks.
     */
    static final long SW_SYNC = 1L << 55;

    /**
     * Returns the attribute bits of a stage-1 leaf for {@code prot}, Linux's
     * {@code arm_lpae_prot_to_pte}: nG and AF always; AP[2] if READ without WRITE; AP[1] unless
     * PRIV; AttrIndx Device for MMIO, else WBRWA for CACHE, else non-cacheable; inner shareable
     * with CACHE, else outer; XN for NOEXEC. No type and no address bits.
     *
     * @param prot the protection; READ or WRITE set (not checked here)
     * @return the attribute bits
     */
    static long protToPte(IommuProt prot) {
        long pte = NG | AF;
        if (prot.read() && !prot.write()) {
            pte |= AP_RDONLY;
        }
        if (!prot.has(IommuProt.PRIV)) {
            pte |= AP_UNPRIV;
        }
        if (prot.has(IommuProt.MMIO)) {
            pte |= (long) ATTR_IDX_DEV << ATTRINDX_SHIFT;
        } else if (prot.has(IommuProt.CACHE)) {
            pte |= (long) ATTR_IDX_CACHE << ATTRINDX_SHIFT;
        }
        // Linux decides shareability on IOMMU_CACHE alone, even for MMIO
        pte |= prot.has(IommuProt.CACHE) ? SH_IS : SH_OS;
        if (prot.has(IommuProt.NOEXEC)) {
            pte |= XN;
        }
        return pte;
    }

    /**
     * Returns a leaf PTE ({@code __arm_lpae_init_pte}): page type at the last level, else block.
     *
     * @param paddr the output address, aligned to the leaf's size and below 2^48
     * @param attrs bits from {@link #protToPte}
     * @param level the level the PTE is written at
     * @return the PTE
     */
    static long leaf(long paddr, long attrs, int level) {
        long type = level == LpaeConfig.LAST_LEVEL ? TYPE_PAGE : TYPE_BLOCK;
        return attrs | type | (paddr & ADDR_MASK);
    }

    /**
     * Returns a table PTE: {@code paddr | TYPE_TABLE} (io-pgtable sets no APTable bits).
     *
     * @param tablePaddr the next-level table's physical address, granule-aligned
     * @return the PTE
     */
    static long table(long tablePaddr) {
        return (tablePaddr & ADDR_MASK) | TYPE_TABLE;
    }

    /** Returns whether {@code pte} is a leaf at {@code level} ({@code iopte_leaf}). */
    static boolean isLeaf(long pte, int level) {
        long type = pte & TYPE_MASK;
        return level == LpaeConfig.LAST_LEVEL ? type == TYPE_PAGE : type == TYPE_BLOCK;
    }

    /** Returns whether {@code pte} points to a next-level table at {@code level}. */
    static boolean isTable(long pte, int level) {
        return level < LpaeConfig.LAST_LEVEL && (pte & TYPE_MASK) == TYPE_TABLE;
    }

    /** Returns the output or next-table address of {@code pte} ({@code iopte_to_paddr}). */
    static long toPaddr(long pte) {
        return pte & ADDR_MASK;
    }
}

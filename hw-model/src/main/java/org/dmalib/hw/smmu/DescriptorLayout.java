package org.dmalib.hw.smmu;

/**
 * VMSAv8-64 stage-1 translation table descriptor bits, as the SMMU's walker reads them (Linux
 * {@code ARM_LPAE_PTE_*}, io-pgtable-arm.c; reference linux-dma-iommu.md section 4.3).
 *
 * <pre>
 *  62..61    55     47 ............ 12  10  7       6       1..0
 *  APTable   SW     output address      AF  AP[2]   AP[1]   type: 0b01 block, 0b11 table/page
 *  (tables)  (sync)                         (RO)    (EL0)
 * </pre>
 *
 * <p>Thread-safety: constants only.
 */
public final class DescriptorLayout {
    private DescriptorLayout() {}

    /** Bytes per descriptor. */
    public static final int BYTES = 8;
    /** Type field: bit 0 valid, bit 1 table (levels 0-2) or page (level 3). */
    public static final long TYPE = Fields.mask(1, 0);
    /** Type value: block (levels 1-2). */
    public static final int TYPE_BLOCK = 1;
    /** Type value: table (levels 0-2) or page (level 3). */
    public static final int TYPE_TABLE_OR_PAGE = 3;
    /** AP[1]: unprivileged (EL0) access allowed. */
    public static final long AP_UNPRIV = 1L << 6;
    /** AP[2]: read-only. */
    public static final long AP_RDONLY = 1L << 7;
    /** AF: access flag; a 0 faults (F_ACCESS) unless CD.AFFD. */
    public static final long AF = 1L << 10;
    /** Output / next-level table address, bits 47:12 (ARM_LPAE_PTE_ADDR_MASK). */
    public static final long ADDR = Fields.mask(47, 12);
    /** Table descriptors: APTable[0], no unprivileged access below. */
    public static final long APTABLE_NO_UNPRIV = 1L << 61;
    /** Table descriptors: APTable[1], read-only below. */
    public static final long APTABLE_RDONLY = 1L << 62;
}

package org.dmalib.hw.smmu;

/**
 * Stream table entry (STE) layout: 64 bytes, eight little-endian doublewords, one per stream ID
 * in a linear stream table (Linux {@code STRTAB_STE_*}, arm-smmu-v3.h). Only the fields this
 * SMMU reads are listed; it supports stage 1 with one context descriptor per stream.
 *
 * <pre>
 * dword 0:  63..59   58..52  51 ............. 6  5..4   3..1    0
 *           S1CDMAX  res0    S1ContextPtr[51:6]  S1FMT  Config  V
 * dword 1:  49..48   ...  27        ...  7..6   5..4   3..2   1..0
 *           PRIVCFG       S1STALLD       S1CSH  S1COR  S1CIR  S1DSS
 * </pre>
 *
 * <p>Thread-safety: constants only.
 */
public final class SteLayout {
    private SteLayout() {}

    /** Bytes per STE (STRTAB_STE_DWORDS = 8). */
    public static final int BYTES = 64;

    /** dword 0: V, the STE is valid. */
    public static final long V = 1L << 0;
    /** dword 0: Config. */
    public static final long CONFIG = Fields.mask(3, 1);
    /** Config value: abort every transaction, record no event. */
    public static final int CONFIG_ABORT = 0;
    /** Config value: bypass (input address = physical address). */
    public static final int CONFIG_BYPASS = 4;
    /** Config value: stage 1 translation. */
    public static final int CONFIG_S1_TRANS = 5;
    /** Config value: stage 2 translation (not supported here: C_BAD_STE). */
    public static final int CONFIG_S2_TRANS = 6;
    /** Config value: nested (not supported here: C_BAD_STE). */
    public static final int CONFIG_NESTED = 7;
    /** dword 0: S1FMT, format of the CD table (ignored when S1CDMAX is 0). */
    public static final long S1FMT = Fields.mask(5, 4);
    /** dword 0: S1ContextPtr, physical address of the context descriptor (below the OAS). */
    public static final long S1_CONTEXT_PTR = Fields.mask(51, 6);
    /** dword 0: S1CDMAX, log2 of the number of CDs (must be 0 here). */
    public static final long S1CDMAX = Fields.mask(63, 59);

    /** dword 1: S1DSS (ignored when S1CDMAX is 0). */
    public static final long S1DSS = Fields.mask(1, 0);
    /** dword 1: S1CIR, inner cacheability of CD fetches (0 = non-cacheable). */
    public static final long S1CIR = Fields.mask(3, 2);
    /** dword 1: S1COR, outer cacheability of CD fetches. */
    public static final long S1COR = Fields.mask(5, 4);
    /** dword 1: S1CSH, shareability of CD fetches. */
    public static final long S1CSH = Fields.mask(7, 6);
    /** Cacheability value: write-back read-allocate (STRTAB_STE_1_S1C_CACHE_WBRA). */
    public static final int CACHE_WBRA = 1;
    /**
     * dword 1: S1STALLD, stage-1 stalls disallowed (ILLEGAL on a stage-1 STE here:
     * SMMU_IDR0.STALL_MODEL is 0b01, so the stall model is not configurable).
     */
    public static final long S1STALLD = 1L << 27;
    /** dword 1: PRIVCFG: 0b0x use incoming (unprivileged here), 0b10 unprivileged, 0b11 privileged. */
    public static final long PRIVCFG = Fields.mask(49, 48);
    /** PRIVCFG value: force privileged. */
    public static final int PRIVCFG_PRIVILEGED = 3;
}

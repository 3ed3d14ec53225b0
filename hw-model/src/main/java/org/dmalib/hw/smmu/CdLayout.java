package org.dmalib.hw.smmu;

/**
 * Context descriptor (CD) layout: 64 bytes, eight little-endian doublewords (Linux
 * {@code CTXDESC_CD_*}, arm-smmu-v3.h; AFFD and TG0/TG1 values from QEMU smmuv3-internal.h).
 * While EPD1 is clear the TTB1 half (T1SZ, TG1, IRGN1, ORGN1, SH1, TTB1, HAD1) must be legal
 * (IHI 0070 CdIllegal) and translates addresses whose bits above the TTB1 region are all 1.
 *
 * <pre>
 * dword 0:  63..48  47   46 45 44 43 42 41   38   35    34..32  31 30   29..28 27..26 25..24 23..22 21..16
 *           ASID    ASET A  R  S  HA HD AA64 TBI0 AFFD  IPS     V  EPD1 SH1    ORGN1  IRGN1  TG1    T1SZ
 *           15   14   13..12 11..10 9..8  7..6 5..0
 *           ENDI EPD0 SH0    ORGN0  IRGN0 TG0  T0SZ
 * dword 1:  51 ........ 4  3..0
 *           TTB0[51:4]     (HAD0 bit 1)
 * dword 2:  51 ........ 4  3..0
 *           TTB1[51:4]     (HAD1 bit 1)
 * </pre>
 *
 * <p>Thread-safety: constants only.
 */
public final class CdLayout {
    private CdLayout() {}

    /** Bytes per CD (CTXDESC_CD_DWORDS = 8). */
    public static final int BYTES = 64;

    /** dword 0: T0SZ; the input address size is 64 - T0SZ bits (16 to 39 allowed here). */
    public static final long T0SZ = Fields.mask(5, 0);
    /** dword 0: TG0, the TTB0 granule: 0 = 4 KiB, 1 = 64 KiB, 2 = 16 KiB. */
    public static final long TG0 = Fields.mask(7, 6);
    /** TG0 value: 4 KiB granule. */
    public static final int TG0_4K = 0;
    /** TG0 value: 64 KiB granule. */
    public static final int TG0_64K = 1;
    /** TG0 value: 16 KiB granule. */
    public static final int TG0_16K = 2;
    /** dword 0: IRGN0, inner cacheability of walks (0 = non-cacheable, 1 = WBWA). */
    public static final long IRGN0 = Fields.mask(9, 8);
    /** dword 0: ORGN0, outer cacheability of walks. */
    public static final long ORGN0 = Fields.mask(11, 10);
    /** dword 0: SH0, shareability of walks (0 = non-shareable, 2 = outer, 3 = inner). */
    public static final long SH0 = Fields.mask(13, 12);
    /** Cacheability value: write-back write-allocate. */
    public static final int CACHE_WBWA = 1;
    /** Shareability value: inner shareable. */
    public static final int SH_ISH = 3;
    /** Shareability value: outer shareable. */
    public static final int SH_OSH = 2;
    /** dword 0: EPD0, TTB0 walks disabled (every address faults). */
    public static final long EPD0 = 1L << 14;
    /** dword 0: ENDI, big-endian tables (unsupported here: C_BAD_CD). */
    public static final long ENDI = 1L << 15;
    /** dword 0: T1SZ; the TTB1 region is the top 2^(64 - T1SZ) bytes (16 to 39 allowed here). */
    public static final long T1SZ = Fields.mask(21, 16);
    /**
     * dword 0: TG1, the TTB1 granule, encoded unlike TG0: 1 = 16 KiB, 2 = 4 KiB, 3 = 64 KiB,
     * 0 reserved (QEMU tg2granule).
     */
    public static final long TG1 = Fields.mask(23, 22);
    /** TG1 value: 16 KiB granule. */
    public static final int TG1_16K = 1;
    /** TG1 value: 4 KiB granule. */
    public static final int TG1_4K = 2;
    /** TG1 value: 64 KiB granule. */
    public static final int TG1_64K = 3;
    /** dword 0: IRGN1, inner cacheability of TTB1 walks (0 = non-cacheable, 1 = WBWA). */
    public static final long IRGN1 = Fields.mask(25, 24);
    /** dword 0: ORGN1, outer cacheability of TTB1 walks. */
    public static final long ORGN1 = Fields.mask(27, 26);
    /** dword 0: SH1, shareability of TTB1 walks. */
    public static final long SH1 = Fields.mask(29, 28);
    /** dword 0: EPD1, TTB1 walks disabled; clear, the TTB1 half must be valid. */
    public static final long EPD1 = 1L << 30;
    /** dword 0: V, the CD is valid. */
    public static final long V = 1L << 31;
    /** dword 0: IPS, intermediate (output) address size, encoded as SMMU_IDR5.OAS. */
    public static final long IPS = Fields.mask(34, 32);
    /** dword 0: AFFD, an Access Flag of 0 does not fault. */
    public static final long AFFD = 1L << 35;
    /** dword 0: TBI0 (stored, no effect: device addresses have no tag byte here). */
    public static final long TBI0 = 1L << 38;
    /** dword 0: AA64, AArch64 tables (must be 1 here). */
    public static final long AA64 = 1L << 41;
    /** dword 0: HD, hardware update of dirty state (ILLEGAL here: SMMU_IDR0.HTTU is 0). */
    public static final long HD = 1L << 42;
    /** dword 0: HA, hardware update of the Access flag (ILLEGAL here: SMMU_IDR0.HTTU is 0). */
    public static final long HA = 1L << 43;
    /** dword 0: S, stall faulting transactions (ILLEGAL here: SMMU_IDR0.STALL_MODEL is 0b01). */
    public static final long S = 1L << 44;
    /** dword 0: R, record fault events (else faults abort silently). */
    public static final long R = 1L << 45;
    /** dword 0: A, abort faulting transactions (must be 1 here: IDR0.TERM_MODEL is 1). */
    public static final long A = 1L << 46;
    /** dword 0: ASET (stored, no effect). */
    public static final long ASET = 1L << 47;
    /** dword 0: ASID. */
    public static final long ASID = Fields.mask(63, 48);

    /** dword 1: HAD0, hierarchical attribute disable: APTable bits are ignored. */
    public static final long HAD0 = 1L << 1;
    /** dword 1: TTB0, physical address of the level-0 (start level) table. */
    public static final long TTB0 = Fields.mask(51, 4);
    /** dword 2: HAD1, hierarchical attribute disable for TTB1 walks. */
    public static final long HAD1 = 1L << 1;
        /** dword 2: TTB1, physical address of the TTB1 start-level table. */
    public static final long TTB1 = Fields.mask(51, 4);
}

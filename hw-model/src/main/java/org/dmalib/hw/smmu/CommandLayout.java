package org.dmalib.hw.smmu;

/**
 * Command queue entry layout: 16 bytes, two little-endian doublewords (Linux {@code CMDQ_*},
 * arm-smmu-v3.h; CFGI_STE_RANGE from QEMU smmuv3-internal.h).
 *
 * <pre>
 * dword 0, every command:      7..0 opcode, 10 SSEC (must be 0), 11 SSV
 * TLBI_NH_VA / VAA / ASID:     dword 0: 63..48 ASID  47..32 VMID  24..20 SCALE  16..12 NUM
 *                              dword 1: 63..12 ADDRESS  11..10 TG  9..8 TTL  0 LEAF
 * CFGI_STE / STE_RANGE / CD:   dword 0: 63..32 SID  31..12 SSID
 *                              dword 1: 0 LEAF (CFGI_STE)  4..0 RANGE (CFGI_STE_RANGE)
 * CMD_SYNC:                    dword 0: 63..32 MSIDATA  27..24 MSIATTR  23..22 MSH  13..12 CS
 *                              dword 1: 51..2 MSIADDR
 * </pre>
 *
 * A range {@code TLBI_NH_VA} (TG != 0, on an SMMU with IDR3.RIL) covers
 * {@code (NUM + 1) * 2^SCALE} pages of the TG granule from ADDRESS.
 *
 * <p>Thread-safety: constants only.
 */
public final class CommandLayout {
    private CommandLayout() {}

    /** dword 0: opcode. */
    public static final long OP = Fields.mask(7, 0);
    /** dword 0: SSEC, secure stream command (illegal here: no secure side). */
    public static final long SSEC = 1L << 10;
    /** dword 0: SSV, substream valid. */
    public static final long SSV = 1L << 11;

    /** CMD_PREFETCH_CONFIG = 0x1 (arm-smmu-v3.h); accepted, no effect. */
    public static final int OP_PREFETCH_CFG = 0x1;
    /** CMD_PREFETCH_ADDR = 0x2 (SMMUv3 opcode table); accepted, no effect. */
    public static final int OP_PREFETCH_ADDR = 0x2;
    /** CMD_CFGI_STE = 0x3. */
    public static final int OP_CFGI_STE = 0x3;
    /** CMD_CFGI_STE_RANGE = 0x4; Linux calls it CFGI_ALL with RANGE = 31. */
    public static final int OP_CFGI_STE_RANGE = 0x4;
    /** CMD_CFGI_CD = 0x5. */
    public static final int OP_CFGI_CD = 0x5;
    /** CMD_CFGI_CD_ALL = 0x6. */
    public static final int OP_CFGI_CD_ALL = 0x6;
    /** CMD_TLBI_NH_ALL = 0x10. */
    public static final int OP_TLBI_NH_ALL = 0x10;
    /** CMD_TLBI_NH_ASID = 0x11. */
    public static final int OP_TLBI_NH_ASID = 0x11;
    /** CMD_TLBI_NH_VA = 0x12. */
    public static final int OP_TLBI_NH_VA = 0x12;
    /** CMD_TLBI_NH_VAA = 0x13. */
    public static final int OP_TLBI_NH_VAA = 0x13;
    /** CMD_TLBI_NSNH_ALL = 0x30. */
    public static final int OP_TLBI_NSNH_ALL = 0x30;
    /** CMD_SYNC = 0x46. */
    public static final int OP_CMD_SYNC = 0x46;

    /** TLBI dword 0: NUM, pages - 1 in units of 2^SCALE (range form). */
    public static final long TLBI_0_NUM = Fields.mask(16, 12);
    /** TLBI dword 0: SCALE (range form). */
    public static final long TLBI_0_SCALE = Fields.mask(24, 20);
    /** TLBI dword 0: VMID (ignored: no stage 2). */
    public static final long TLBI_0_VMID = Fields.mask(47, 32);
    /** TLBI dword 0: ASID. */
    public static final long TLBI_0_ASID = Fields.mask(63, 48);
    /** TLBI dword 1: LEAF, only leaf entries need be invalidated (walk caches kept). */
    public static final long TLBI_1_LEAF = 1L << 0;
    /** TLBI dword 1: TTL, level of the leaf entries (0 = any); honoured only when TG != 0. */
    public static final long TLBI_1_TTL = Fields.mask(9, 8);
    /** TLBI dword 1: TG, range granule: 0 = not a range, 1 = 4 KiB, 2 = 16 KiB, 3 = 64 KiB. */
    public static final long TLBI_1_TG = Fields.mask(11, 10);
    /** TLBI dword 1: the virtual address, bits 63:12. */
    public static final long TLBI_1_VA = Fields.mask(63, 12);
    /** CMDQ_TLBI_RANGE_NUM_MAX = 31. */
    public static final int TLBI_RANGE_NUM_MAX = 31;

    /** CFGI dword 0: SSID. */
    public static final long CFGI_0_SSID = Fields.mask(31, 12);
    /** CFGI dword 0: SID. */
    public static final long CFGI_0_SID = Fields.mask(63, 32);
    /** CFGI_STE dword 1: LEAF, invalidate only the STE, not the CDs it points to. */
    public static final long CFGI_1_LEAF = 1L << 0;
    /** CFGI_STE_RANGE dword 1: RANGE, 2^(RANGE + 1) STEs; 31 means all. */
    public static final long CFGI_1_RANGE = Fields.mask(4, 0);

    /** CMD_SYNC dword 0: CS, completion signal: 0 none, 1 IRQ (MSI write), 2 SEV, 3 illegal. */
    public static final long SYNC_0_CS = Fields.mask(13, 12);
    /** CS value: no signal. */
    public static final int SYNC_CS_NONE = 0;
    /** CS value: interrupt; with an MSI address the SMMU writes MSIDATA there. */
    public static final int SYNC_CS_IRQ = 1;
    /** CS value: send event. */
    public static final int SYNC_CS_SEV = 2;
    /** CMD_SYNC dword 0: MSH, shareability of the MSI write (stored, no effect here). */
    public static final long SYNC_0_MSH = Fields.mask(23, 22);
    /**
     * CMD_SYNC dword 0: MSIATTR, memory type of the MSI write, encoded as STE.MemAttr:
     * bits 3:2 outer (0b00: Device), bits 1:0 inner (0b01 Non-cacheable, 0b10 Write-through,
     * 0b11 Write-back).
     */
    public static final long SYNC_0_MSIATTR = Fields.mask(27, 24);
    /** MSIATTR value: Device-nGnRE (Linux ARM_SMMU_MEMATTR_DEVICE_nGnRE). */
    public static final int MEMATTR_DEVICE_NGNRE = 0x1;
    /** MSIATTR value: Normal, inner and outer Non-cacheable. */
    public static final int MEMATTR_NC = 0x5;
    /** MSIATTR value: Normal, inner and outer Write-back (Linux ARM_SMMU_MEMATTR_OIWB). */
    public static final int MEMATTR_OIWB = 0xf;
    /** CMD_SYNC dword 0: MSIDATA, the 32-bit value written at MSIADDR. */
    public static final long SYNC_0_MSIDATA = Fields.mask(63, 32);
    /** CMD_SYNC dword 1: MSIADDR, physical address bits 51:2. */
    public static final long SYNC_1_MSIADDR = Fields.mask(51, 2);
}

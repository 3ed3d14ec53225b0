package org.dmalib.hw.smmu;

/**
 * Event queue record layout: 32 bytes, four little-endian doublewords (Linux {@code EVTQ_*},
 * arm-smmu-v3.h; field positions agree with QEMU's EVT_SET_* in smmuv3-internal.h). Event IDs
 * are {@link org.dmalib.hw.SmmuEvent.Kind#id()}.
 *
 * <pre>
 * dword 0:  63..32 SID   31..12 SSID   11 SSV   7..0 EVENT_ID
 * dword 1:  41..40 CLASS   39 S2   35 RnW   34 InD   33 PnU
 * dword 2:  INPUT_ADDR (translation, address-size, access, permission, walk faults)
 * dword 3:  FETCH_ADDR[51:3] (STE/CD fetch and walk external-abort faults)
 * </pre>
 *
 * <p>Dwords 1 and 2 are defined only for F_WALK_EABT, F_TRANSLATION, F_ADDR_SIZE, F_ACCESS and
 * F_PERMISSION; in C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE, F_CD_FETCH and C_BAD_CD records they
 * are RES0 (IHI 0070 7.3), so RnW, PnU, CLASS and INPUT_ADDR read 0 there whatever the access.
 *
 * <p>Thread-safety: constants only.
 */
public final class EventLayout {
    private EventLayout() {}

    /** dword 0: event ID. */
    public static final long ID = Fields.mask(7, 0);
    /** dword 0: SID. */
    public static final long SID = Fields.mask(63, 32);
    /** dword 1: PnU, 1 = privileged access. */
    public static final long PNU = 1L << 33;
    /** dword 1: InD, 1 = instruction access (always 0 for DMA). */
    public static final long IND = 1L << 34;
    /** dword 1: RnW, 1 = read. */
    public static final long RNW = 1L << 35;
    /**
     * dword 1: CLASS: 0 CD fetch, 1 table descriptor fetch (F_WALK_EABT of a stage-1 walk), 2
     * input address (the other stage-1 faults).
     */
    public static final long CLASS = Fields.mask(41, 40);
    /** CLASS value for a fault of a translation table fetch (F_WALK_EABT of a stage-1 walk). */
    public static final int CLASS_TT = 1;
    /** CLASS value for stage-1 faults on the input address. */
    public static final int CLASS_IN = 2;
    /** dword 3: fetch address of a failed STE, CD or descriptor read. */
    public static final long FETCH_ADDR = Fields.mask(51, 3);
}

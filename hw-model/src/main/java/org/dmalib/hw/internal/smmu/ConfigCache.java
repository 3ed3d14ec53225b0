package org.dmalib.hw.internal.smmu;

import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.smmu.CdLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.hw.smmu.SteLayout;

/**
 * The configuration cache: STEs and CDs fetched from the in-memory stream table and decoded
 * once, then used until {@code CMD_CFGI_*} drops them. A driver that rewrites an STE or CD and
 * forgets the CFGI keeps getting the old configuration, as on hardware. Invalid structures are
 * not cached (a fix becomes visible at the next access).
 *
 * <p>Unbounded (one slot per stream ID), like QEMU's config cache: no eviction can hide a missing
 * CFGI. Not thread-safe: the owning SMMU serialises access.
 */
final class ConfigCache {
    // TxSZ 16..39: 48- to 25-bit regions, the AArch64 range for TTB0 and TTB1 alike
    private static final int TXSZ_MIN = 16;
    private static final int TXSZ_MAX = 39;

    private final SmmuConfig config;
    private final Registers regs;
    private final SmmuBus bus;
    private final EventQueue events;
    private final SmmuStats stats;
    private final SteState[] stes;
    private final CdState[] cds;

    ConfigCache(SmmuConfig config, Registers regs, SmmuBus bus, EventQueue events,
            SmmuStats stats) {
        this.config = config;
        this.regs = regs;
        this.bus = bus;
        this.events = events;
        this.stats = stats;
        this.stes = new SteState[1 << config.streamIdBits()];
        this.cds = new CdState[1 << config.streamIdBits()];
    }

    /**
     * Returns the STE of {@code sid}, fetching it on a miss; on a bad stream ID or STE raises the
     * event (a bad stream ID's written to the event queue only with CR2.RECINVSID set) and
     * returns null.
     */
    SteState ste(int sid, long va, boolean write) {
        int log2 = regs.strtabLog2Size();
        if (sid < 0 || log2 < 0 || sid >= (1 << log2)) {
            // recorded only while CR2.RECINVSID is set (IHI 0070 C_BAD_STREAMID); aborted anyway
            events.raise(SmmuEvent.Kind.BAD_STREAM_ID, sid, va, write, false, 0,
                    regs.recordInvalidStreamIds());
            return null;
        }
        SteState cached = stes[sid];
        if (cached != null) {
            return cached;
        }
        long addr = regs.strtabAddress() + (long) sid * SteLayout.BYTES;
        if (!bus.inRange(addr, SteLayout.BYTES)) {
            events.raise(SmmuEvent.Kind.STE_FETCH_FAULT, sid, va, write, false, addr, true);
            return null;
        }
        stats.configFetches++;
        boolean coherent = regs.tableFetchCoherent();
        long d0 = bus.readLong(addr, coherent);
        long d1 = bus.readLong(addr + 8, coherent);
        int cfg = (int) Fields.get(SteLayout.CONFIG, d0);
        // S1STALLD on a stage-1 STE is ILLEGAL while IDR0.STALL_MODEL is not 0b00 (IHI 0070
        // STE.S1STALLD; QEMU decode_ste also refuses it); stage 1 off, it is IGNORED.
        // S1ContextPtr at or above the OAS is ILLEGAL from SMMUv3.1 (IHI 0070 STE.S1ContextPtr;
        // AIDR claims 3.1 or 3.2 here), not a CD fetch fault; stage 1 off, it is IGNORED.
        boolean valid = Fields.test(SteLayout.V, d0)
                && (cfg == SteLayout.CONFIG_ABORT || cfg == SteLayout.CONFIG_BYPASS
                        || (cfg == SteLayout.CONFIG_S1_TRANS && Fields.get(SteLayout.S1CDMAX, d0) == 0
                                && !Fields.test(SteLayout.S1STALLD, d1)
                                && (d0 & SteLayout.S1_CONTEXT_PTR) >>> config.outputAddressBits()
                                        == 0));
        // V clear, reserved or stage-2 Config, substreams, S1STALLD, S1ContextPtr: C_BAD_STE
        if (!valid) {
            events.raise(SmmuEvent.Kind.BAD_STE, sid, va, write, false, 0, true);
            return null;
        }
        SteState ste = new SteState(cfg, d0 & SteLayout.S1_CONTEXT_PTR,
                config.coherentWalk() && Fields.get(SteLayout.S1CIR, d1) != 0,
                Fields.get(SteLayout.PRIVCFG, d1) == SteLayout.PRIVCFG_PRIVILEGED);
        stes[sid] = ste;
        return ste;
    }

    /**
     * Returns the CD of {@code sid} (whose STE is {@code ste}), fetching it on a miss; on a bad
     * CD raises the event and returns null.
     *
     * <p>The CD is ILLEGAL (C_BAD_CD) by the rules of IHI 0070 5.4.2 CdIllegal that apply to
     * this SMMU (IDR0: TTF = AArch64, TERM_MODEL = 1, STALL_MODEL = 0b01, HTTU = 0, TTENDIAN =
     * little-endian; StreamWorld NS-EL1): V clear; AA64 clear (VMSAv8-32 unsupported); A clear
     * (RAZ/WI termination unsupported); S set (no stall model; this also covers STE.S1STALLD
     * with CD.S, and QEMU refuses the same); HA or HD set (no HTTU); ENDI set, unless both
     * EPD0 and EPD1 are set (then it is IGNORED); and, only while EPD0 is clear, T0SZ outside
     * 16..39, a reserved or unsupported TG0, or a TTB0 outside the effective IPS. With EPD0 set,
     * T0SZ, TG0 and TTB0 are IGNORED and not checked (5.4.1.1: "validity checks are not
     * performed on fields that are disabled"): every TTB0-region access faults F_TRANSLATION.
     *
     * <p>All of these are the spec's rules; QEMU's decode_cd makes the same ones (its A, S and
     * HA/HD checks are its reading of the same IDR0 values, and it skips T0SZ/TG0/TTB0 under
     * EPD0 as the spec does). Without SMMU_IDR0.ASID16 a non-zero ASID[15:8] is ILLEGAL too
     * (IHI 0070 CD.ASID; QEMU always advertises ASID16, so it has no such check). The TTB1
     * half gets the same checks as TTB0's only while EPD1 is clear: T1SZ outside 16..39, a
     * reserved or unsupported TG1 (encoded unlike TG0), or a TTB1 outside the effective IPS
     * (QEMU decode_cd loops over both halves the same way). IRGN/ORGN/SH of either half have
     * no ILLEGAL values here, so neither is checked. A legal TTB1 half is decoded into
     * {@link CdState#upper} and translates the top of the address space.
     */
    CdState cd(int sid, SteState ste, long va, boolean write) {
        CdState cached = cds[sid];
        if (cached != null) {
            return cached;
        }
        long addr = ste.contextPtr();
        if (!bus.inRange(addr, CdLayout.BYTES)) {
            events.raise(SmmuEvent.Kind.CD_FETCH_FAULT, sid, va, write, ste.privileged(), addr,
                    true);
            return null;
        }
        stats.configFetches++;
        long d0 = bus.readLong(addr, ste.cdCoherent());
        long d1 = bus.readLong(addr + 8, ste.cdCoherent());
        int granuleShift = granuleShift0((int) Fields.get(CdLayout.TG0, d0));
        int t0sz = (int) Fields.get(CdLayout.T0SZ, d0);
        // eff_IPS = MIN(CD.IPS, SMMU_IDR5.OAS) (IHI 0070 CD.IPS)
        int oas = Math.min(SmmuRegisters.addressBits((int) Fields.get(CdLayout.IPS, d0)),
                config.outputAddressBits());
        long ttb0 = d1 & CdLayout.TTB0;
        boolean walksDisabled = Fields.test(CdLayout.EPD0, d0);
        boolean ttb1Enabled = !Fields.test(CdLayout.EPD1, d0);
        // dword 2 (TTB1, HAD1) matters only while EPD1 is clear
        long d2 = ttb1Enabled ? bus.readLong(addr + 16, ste.cdCoherent()) : 0;
        int granuleShift1 = granuleShift1((int) Fields.get(CdLayout.TG1, d0));
        int t1sz = (int) Fields.get(CdLayout.T1SZ, d0);
        long ttb1 = d2 & CdLayout.TTB1;
        boolean valid = Fields.test(CdLayout.V, d0)
                && Fields.test(CdLayout.AA64, d0)
                && Fields.test(CdLayout.A, d0)
                && !Fields.test(CdLayout.S, d0)
                && (d0 & (CdLayout.HA | CdLayout.HD)) == 0
                // IDR0.TTENDIAN: little-endian only; ENDI is IGNORED with both walks disabled
                && (!Fields.test(CdLayout.ENDI, d0) || (walksDisabled && !ttb1Enabled))
                && (walksDisabled || ttbValid(granuleShift, t0sz, ttb0, oas))
                && (!ttb1Enabled || ttbValid(granuleShift1, t1sz, ttb1, oas))
                // without ASID16, ASID[15:8] must be 0 (IHI 0070 CD.ASID, CdIllegal)
                && Fields.get(CdLayout.ASID, d0) >>> config.asidBits() == 0;
        if (!valid) {
            events.raise(SmmuEvent.Kind.BAD_CD, sid, va, write, ste.privileged(), 0, true);
            return null;
        }
        if (walksDisabled) { // never walked: any valid geometry will do
            granuleShift = 12;
            t0sz = TXSZ_MAX;
            ttb0 = 0;
        }
        int asid = (int) Fields.get(CdLayout.ASID, d0);
        CdState upper = !ttb1Enabled ? null : half(asid, ttb1, granuleShift1, t1sz, oas,
                Fields.get(CdLayout.IRGN1, d0) != 0, d0, Fields.test(CdLayout.HAD1, d2), false,
                null);
        CdState cd = half(asid, ttb0, granuleShift, t0sz, oas,
                Fields.get(CdLayout.IRGN0, d0) != 0, d0, Fields.test(CdLayout.HAD0, d1),
                walksDisabled, upper);
        cds[sid] = cd;
        return cd;
    }

    /**
     * Decodes one half of a legal CD: the TTBx table of a {@code txsz} region with
     * {@code granuleShift}, walked coherently if COHACC and {@code cacheable} (IRGNx), with
     * HADx {@code hierarchicalDisabled}; AFFD and R come from {@code d0}.
     */
    private CdState half(int asid, long ttb, int granuleShift, int txsz, int oas,
            boolean cacheable, long d0, boolean hierarchicalDisabled, boolean walksDisabled,
            CdState upper) {
        int ias = 64 - txsz;
        int startLevel = Geometry.startLevel(ias, granuleShift);
        // the start-level table is aligned to its size: TTBx bits below it are treated as 0
        // (IHI 0070 CD.TTB0/TTB1; QEMU smmu_ptw_64_s1 masks them off with its index mask)
        long startTableBytes = (long) Long.BYTES
                << (ias - Geometry.levelShift(startLevel, granuleShift - 3));
        return new CdState(asid, ttb & -startTableBytes, granuleShift, ias, startLevel, oas,
                config.coherentWalk() && cacheable,
                Fields.test(CdLayout.AFFD, d0),
                hierarchicalDisabled,
                Fields.test(CdLayout.R, d0),
                walksDisabled,
                upper);
    }

    /**
     * Returns the cached STE of {@code sid} without fetching, or null; {@code sid} is one that
     * {@link #ste} has accepted.
     */
    SteState cachedSte(int sid) {
        return stes[sid];
    }

    /**
     * Returns the cached CD of {@code sid} without fetching, or null; {@code sid} is one that
     * {@link #ste} has accepted.
     */
    CdState cachedCd(int sid) {
        return cds[sid];
    }

    /** CMD_CFGI_STE: drops the STE of {@code sid} and, unless {@code leaf}, its CD. */
    void invalidateSte(long sid, boolean leaf) {
        if (sid >= 0 && sid < stes.length) {
            stes[(int) sid] = null;
            if (!leaf) {
                cds[(int) sid] = null;
            }
        }
    }

    /** CMD_CFGI_STE_RANGE: drops STEs and CDs of the aligned block of 2^(range+1) stream IDs. */
    void invalidateSteRange(long sid, int range) {
        if (range >= 31) { // RANGE = 31 is CFGI_ALL
            java.util.Arrays.fill(stes, null);
            java.util.Arrays.fill(cds, null);
            return;
        }
        long span = 1L << (range + 1);
        long first = sid & -span;
        for (long s = Math.max(first, 0); s < first + span && s < stes.length; s++) {
            stes[(int) s] = null;
            cds[(int) s] = null;
        }
    }

    /** CMD_CFGI_CD / CMD_CFGI_CD_ALL: drops the CD of {@code sid} (one CD per stream here). */
    void invalidateCd(long sid) {
        if (sid >= 0 && sid < cds.length) {
            cds[(int) sid] = null;
        }
    }

    /**
     * Returns whether one half's configuration (TTB0 with EPD0 clear, or TTB1 with EPD1 clear)
     * is legal: a supported granule ({@code granuleShift} not 0), TxSZ in 16..39, and TTBx
     * inside the effective IPS {@code oas} (ILLEGAL, C_BAD_CD, not an address-size fault of the
     * walk: IHI 0070 CD.TTB0/TTB1, 5.4.1 and CdIllegal's CDTTBxOutOfRange; QEMU decode_cd
     * likewise). The 48-bit limit for DS = 0 with 4/16 KiB granules is implied: OAS is at most
     * 48 bits, IDR5.DS not advertised.
     */
    private static boolean ttbValid(int granuleShift, int txsz, long ttb, int oas) {
        return granuleShift != 0 && txsz >= TXSZ_MIN && txsz <= TXSZ_MAX && ttb >>> oas == 0;
    }

    /** Returns the granule shift a TG0 value selects, or 0 if reserved or unsupported. */
    private int granuleShift0(int tg0) {
        // TG0 encoding for TTB0 (QEMU tg2granule): 0 = 4 KiB, 1 = 64 KiB, 2 = 16 KiB, 3 reserved
        return switch (tg0) {
            case CdLayout.TG0_4K -> supported(12);
            case CdLayout.TG0_64K -> supported(16);
            case CdLayout.TG0_16K -> supported(14);
            default -> 0;
        };
    }

    /** Returns the granule shift a TG1 value selects, or 0 if reserved or unsupported. */
    private int granuleShift1(int tg1) {
        // TG1 encoding for TTB1 (QEMU tg2granule): 1 = 16 KiB, 2 = 4 KiB, 3 = 64 KiB, 0 reserved
        return switch (tg1) {
            case CdLayout.TG1_4K -> supported(12);
            case CdLayout.TG1_64K -> supported(16);
            case CdLayout.TG1_16K -> supported(14);
            default -> 0;
        };
    }

    /** Returns {@code granuleShift} if IDR5 advertises that granule, else 0. */
    private int supported(int granuleShift) {
        boolean advertised = switch (granuleShift) {
            case 12 -> config.granule4K();
            case 14 -> config.granule16K();
            default -> config.granule64K();
        };
        return advertised ? granuleShift : 0;
    }
}

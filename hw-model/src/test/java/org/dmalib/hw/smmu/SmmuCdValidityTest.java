package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * Which context descriptors are ILLEGAL (IHI 0070 5.4, CdIllegal in 5.4.2): a transaction
 * through one aborts with C_BAD_CD and nothing is walked.
 */
class SmmuCdValidityTest {
    private static final int SID = 4;
    private static final int ASID = 6;
    private static final long IOVA = 0x3000;

    /** {@link SmmuConfig#gem5()} with an SMMU_IDR5.OAS of {@code bits}. */
    private static SmmuConfig gem5WithOas(int bits) {
        SmmuConfig g = SmmuConfig.gem5();
        return new SmmuConfig(g.rangeInvalidation(), g.coherentWalk(), g.granule4K(),
                g.granule16K(), g.granule64K(), bits, g.asidBits(), g.streamIdBits(),
                g.commandQueueLog2(), g.eventQueueLog2(), g.iotlb());
    }

    /** A 4 KiB, 48-bit CD as Linux builds it, with CD.IPS set to {@code ipsBits}. */
    private static long cd0WithIps(int ipsBits) {
        return (SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.IPS)
                | Fields.prep(CdLayout.IPS, SmmuRegisters.addressBitsField(ipsBits));
    }

    /** Points {@link #SID} at a CD of {@code d0} and {@code ttb}, reads {@link #IOVA}. */
    private static DmaStatus readThrough(SmmuRig rig, long d0, long ttb) {
        rig.translate(SID, ASID, rig.tables(12, 48));
        rig.writeCd(SID, d0, ttb);
        return rig.port(SID).read(IOVA, new byte[1], 0, 1);
    }

    private static void assertOnly(SmmuRig rig, SmmuEvent.Kind kind) {
        assertEquals(List.of(new SmmuEvent(kind, SID, IOVA, false)), rig.smmu.events());
    }

    @Test
    void a_ttb0_above_the_cds_ips_is_c_bad_cd_and_nothing_is_walked() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        assertEquals(DmaStatus.ABORT, readThrough(rig, cd0WithIps(32), 1L << 32));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
        assertEquals(0, rig.smmu.counters().walks());
        assertEquals(0, rig.smmu.counters().pteReads());
    }

    @Test
    void a_ttb0_above_the_smmus_oas_is_c_bad_cd_even_when_cd_ips_is_wider() {
        SmmuRig rig = new SmmuRig(gem5WithOas(40)).enable();
        assertEquals(DmaStatus.ABORT, readThrough(rig, cd0WithIps(48), 1L << 40));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD); // eff_IPS = MIN(CD.IPS, OAS) = 40
        assertEquals(0, rig.smmu.counters().walks());
    }

    @Test
    void a_ttb0_just_inside_the_ips_is_walked() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        // legal, but past the rig's 64 MiB of memory: the walk's first read aborts
        assertEquals(DmaStatus.ABORT, readThrough(rig, cd0WithIps(32), (1L << 32) - 0x1000));
        assertOnly(rig, SmmuEvent.Kind.WALK_EXTERNAL_ABORT);
        assertEquals(1, rig.smmu.counters().walks());
    }

    @Test
    void an_illegal_ttb0_is_not_cached_so_a_corrected_cd_is_used_at_the_next_access() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        PageTables pt = mapped(rig);
        rig.writeCd(SID, cd0WithIps(32), 1L << 32);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.ABORT, port.read(IOVA, new byte[1], 0, 1));
        rig.writeCd(SID, cd0WithIps(32), pt.root); // no CFGI: nothing was cached
        assertEquals(DmaStatus.OK, port.read(IOVA, new byte[1], 0, 1));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
    }

    /** Maps {@link #IOVA} for {@link #SID} through a legal CD; {@return the tables} */
    private static PageTables mapped(SmmuRig rig) {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(IOVA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        return pt;
    }

    /**
     * Maps {@link #IOVA} for {@link #SID}, then replaces its CD with {@code d0}: without a
     * validity check the read would succeed.
     */
    private static DmaStatus readMappedThrough(SmmuRig rig, long d0) {
        PageTables pt = mapped(rig);
        rig.writeCd(SID, d0, pt.root);
        return rig.port(SID).read(IOVA, new byte[1], 0, 1);
    }

    private static long linuxCd0() {
        return SmmuRig.cd0(ASID, 12, 48, true);
    }

    @Test
    void cd_a_clear_is_c_bad_cd_because_term_model_is_1() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        assertEquals(DmaStatus.ABORT, readMappedThrough(rig, linuxCd0() & ~CdLayout.A));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
        assertEquals(0, rig.smmu.counters().walks());
    }

    @Test
    void cd_s_set_is_c_bad_cd_because_stall_model_is_0b01() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        assertEquals(DmaStatus.ABORT, readMappedThrough(rig, linuxCd0() | CdLayout.S));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
    }

    @Test
    void cd_ha_set_is_c_bad_cd_because_httu_is_0() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        assertEquals(DmaStatus.ABORT, readMappedThrough(rig, linuxCd0() | CdLayout.HA));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
    }

    @Test
    void cd_hd_set_is_c_bad_cd_because_httu_is_0() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        assertEquals(DmaStatus.ABORT,
                readMappedThrough(rig, linuxCd0() | CdLayout.HA | CdLayout.HD));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
    }

    @Test
    void ste_s1stalld_on_a_stage1_ste_is_c_bad_ste_and_ignored_on_a_bypass_ste() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        mapped(rig);
        long ste1 = SmmuRig.STRTAB + SID * (long) SteLayout.BYTES + 8;
        rig.ram.writeLong(ste1, rig.ram.readLong(ste1) | SteLayout.S1STALLD);
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(IOVA, new byte[1], 0, 1));
        assertOnly(rig, SmmuEvent.Kind.BAD_STE);
        rig.writeSte(SID + 1, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_BYPASS),
                SteLayout.S1STALLD); // stage 1 off: S1STALLD is IGNORED
        assertEquals(DmaStatus.OK, rig.port(SID + 1).read(IOVA, new byte[1], 0, 1));
        assertEquals(1, rig.smmu.events().size());
    }

    @Test
    void an_s1_context_ptr_at_the_oas_is_c_bad_ste_and_just_below_it_a_cd_fetch_fault() {
        SmmuRig rig = new SmmuRig(gem5WithOas(40)).enable(); // AIDR: SMMUv3.1 or later
        long s1 = SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS);
        rig.writeSte(SID, s1 | ((1L << 40) & SteLayout.S1_CONTEXT_PTR), 0);
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(IOVA, new byte[1], 0, 1));
        assertOnly(rig, SmmuEvent.Kind.BAD_STE);
        assertEquals(1, rig.smmu.counters().configFetches(), "the STE only: no CD fetched");

        SmmuRig rig2 = new SmmuRig(gem5WithOas(40)).enable();
        long below = (1L << 40) - CdLayout.BYTES; // legal, but past the rig's memory
        rig2.writeSte(SID, s1 | (below & SteLayout.S1_CONTEXT_PTR), 0);
        assertEquals(DmaStatus.ABORT, rig2.port(SID).read(IOVA, new byte[1], 0, 1));
        assertOnly(rig2, SmmuEvent.Kind.CD_FETCH_FAULT);

        rig2.writeSte(SID + 1, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_BYPASS)
                | ((1L << 40) & SteLayout.S1_CONTEXT_PTR), 0); // stage 1 off: IGNORED
        assertEquals(DmaStatus.OK, rig2.port(SID + 1).read(IOVA, new byte[1], 0, 1));
        assertEquals(1, rig2.smmu.events().size());
    }

    @Test
    void epd0_makes_t0sz_tg0_and_ttb0_ignored_so_the_cd_is_valid_and_every_access_faults() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        long d0 = (linuxCd0() & ~(CdLayout.T0SZ | CdLayout.TG0 | CdLayout.IPS))
                | CdLayout.EPD0
                | Fields.prep(CdLayout.T0SZ, 0) // out of range
                | Fields.prep(CdLayout.TG0, 3) // reserved
                | Fields.prep(CdLayout.IPS, SmmuRegisters.addressBitsField(32));
        rig.translate(SID, ASID, rig.tables(12, 48));
        rig.writeCd(SID, d0, 1L << 40); // above the IPS
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.ABORT, port.read(IOVA, new byte[1], 0, 1));
        assertEquals(DmaStatus.ABORT, port.read(IOVA, new byte[1], 0, 1));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, IOVA, false),
                new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, IOVA, false)),
                rig.smmu.events());
        assertEquals(2, rig.smmu.counters().configFetches(), "the CD was valid, so cached");
        assertEquals(0, rig.smmu.counters().walks());
    }

    @Test
    void endi_is_ignored_only_when_both_epd0_and_epd1_are_set() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        long bigEndianNoWalks = linuxCd0() | CdLayout.ENDI | CdLayout.EPD0 | CdLayout.EPD1;
        assertEquals(DmaStatus.ABORT, readMappedThrough(rig, bigEndianNoWalks));
        assertOnly(rig, SmmuEvent.Kind.TRANSLATION_FAULT);
        SmmuRig rig2 = new SmmuRig(SmmuConfig.gem5()).enable();
        long bigEndianTtb1On = (linuxCd0() | CdLayout.ENDI | CdLayout.EPD0) & ~CdLayout.EPD1;
        assertEquals(DmaStatus.ABORT, readMappedThrough(rig2, bigEndianTtb1On));
        assertOnly(rig2, SmmuEvent.Kind.BAD_CD);
    }

    /**
     * Linux's CD with EPD1 clear and a TTB1 half of {@code t1sz}, {@code tg1} and {@code ttb1}
     * (dword 2), CD.IPS 32 bits.
     */
    private static long ttb1Cd(SmmuRig rig, int t1sz, int tg1, long ttb1) {
        rig.ram.writeLong(SmmuRig.cdAddress(SID) + 16, ttb1 & CdLayout.TTB1);
        return (cd0WithIps(32) & ~CdLayout.EPD1)
                | Fields.prep(CdLayout.T1SZ, t1sz)
                | Fields.prep(CdLayout.TG1, tg1);
    }

    @Test
    void with_epd1_clear_an_illegal_ttb1_half_is_c_bad_cd_and_nothing_is_walked() {
        long[][] illegal = { // T1SZ, TG1, TTB1
            {15, CdLayout.TG1_4K, 0x80_0000}, // T1SZ below 16
            {40, CdLayout.TG1_4K, 0x80_0000}, // T1SZ above 39
            {16, 0, 0x80_0000}, // TG1 0 is reserved (TG0 0 is 4 KiB)
            {16, CdLayout.TG1_4K, 1L << 32}, // TTB1 above the IPS
        };
        for (long[] c : illegal) {
            SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
            PageTables pt = mapped(rig);
            rig.writeCd(SID, ttb1Cd(rig, (int) c[0], (int) c[1], c[2]), pt.root);
            String what = "T1SZ=" + c[0] + " TG1=" + c[1] + " TTB1=0x" + Long.toHexString(c[2]);
            assertEquals(DmaStatus.ABORT, rig.port(SID).read(IOVA, new byte[1], 0, 1), what);
            assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.BAD_CD, SID, IOVA, false)),
                    rig.smmu.events(), what);
            assertEquals(0, rig.smmu.counters().walks(), what);
        }
    }

    @Test
    void an_unadvertised_tg1_granule_is_c_bad_cd() {
        SmmuConfig g = SmmuConfig.gem5();
        SmmuConfig no16K = new SmmuConfig(g.rangeInvalidation(), g.coherentWalk(), g.granule4K(),
                false, g.granule64K(), g.outputAddressBits(), g.asidBits(), g.streamIdBits(),
                g.commandQueueLog2(), g.eventQueueLog2(), g.iotlb());
        SmmuRig rig = new SmmuRig(no16K).enable();
        PageTables pt = mapped(rig);
        rig.writeCd(SID, ttb1Cd(rig, 16, CdLayout.TG1_16K, 0x80_0000), pt.root);
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(IOVA, new byte[1], 0, 1));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
    }

    @Test
    void with_epd1_clear_a_legal_ttb1_half_leaves_ttb0_translating() {
        for (int tg1 : new int[] {CdLayout.TG1_4K, CdLayout.TG1_16K, CdLayout.TG1_64K}) {
            SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
            PageTables pt = mapped(rig);
            rig.writeCd(SID, ttb1Cd(rig, 39, tg1, (1L << 32) - 0x1_0000), pt.root);
            assertEquals(DmaStatus.OK, rig.port(SID).read(IOVA, new byte[1], 0, 1), "TG1=" + tg1);
            assertEquals(List.of(), rig.smmu.events(), "TG1=" + tg1);
        }
    }

    @Test
    void with_epd1_set_the_ttb1_half_is_ignored() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        PageTables pt = mapped(rig);
        long d0 = ttb1Cd(rig, 0, 0, 1L << 40) | CdLayout.EPD1; // all three illegal
        rig.writeCd(SID, d0, pt.root);
        assertEquals(DmaStatus.OK, rig.port(SID).read(IOVA, new byte[1], 0, 1));
        assertEquals(List.of(), rig.smmu.events());
    }

    @Test
    void a_linux_cd_is_valid() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        assertEquals(DmaStatus.OK, readMappedThrough(rig, linuxCd0()));
        assertEquals(List.of(), rig.smmu.events());
    }
}

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
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(IOVA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, cd0WithIps(32), 1L << 32);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.ABORT, port.read(IOVA, new byte[1], 0, 1));
        rig.writeCd(SID, cd0WithIps(32), pt.root); // no CFGI: nothing was cached
        assertEquals(DmaStatus.OK, port.read(IOVA, new byte[1], 0, 1));
        assertOnly(rig, SmmuEvent.Kind.BAD_CD);
    }
}

package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.junit.jupiter.api.Test;

/**
 * Bad bursts and shapes behind an SMMU: what a device model author or platform engineer can get
 * wrong, and what must then hold (nothing moves, the SMMU reports what hardware would).
 */
class SmmuBadBurstTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long VA = 0x4000_0000L;

    @Test
    void an_smmu_with_only_a_micro_tlb_and_zero_ways_elsewhere_translates_and_caches() {
        // the documented shape of a micro-TLB alone: the absent structures' ways may be 0
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()
                .withIotlb(new IotlbGeometry(32, 0, 0, 0, 0, 0, 0))).enable();
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, port.write(VA, new byte[] {5}, 0, 1));
        assertEquals(DmaStatus.OK, port.write(VA + 1, new byte[] {6}, 0, 1));
        SmmuCounters c = rig.smmu.counters();
        assertEquals(1, c.walks());
        assertEquals(1, c.microTlbHits());
        assertEquals(0, c.mainTlbHits() + c.mainTlbMisses() + c.walkCacheHits()
                + c.walkCacheMisses());
        assertEquals(6, rig.ram.readByte(SmmuRig.DATA + 1));
    }
}

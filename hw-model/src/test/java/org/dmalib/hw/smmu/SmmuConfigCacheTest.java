package org.dmalib.hw.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * The configuration cache: which stream IDs, STEs and CDs are valid (IHI 0070 5.2, 5.4; QEMU
 * decode_ste / decode_cd), where they are fetched from and whether the fetch snoops, and
 * exactly which cached structures each CMD_CFGI_* drops, at the edges of the stream table.
 */
class SmmuConfigCacheTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long VA = 0x5000;
    private static final long END = 64L << 20; // SmmuRig's memory

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();

    private static long s1Ste(long cd) {
        return SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                | (cd & SteLayout.S1_CONTEXT_PTR);
    }

    @Test
    void a_one_entry_stream_table_holds_stream_0_only() {
        rig.regs.writeRegister(STRTAB_BASE_CFG, 0); // LOG2SIZE 0: one STE
        rig.bypass(0);
        rig.bypass(1);
        assertEquals(DmaStatus.OK, rig.port(0).read(SmmuRig.DATA, new byte[1], 0, 1));
        assertEquals(DmaStatus.ABORT, rig.port(1).read(SmmuRig.DATA, new byte[1], 0, 1));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, 1, SmmuRig.DATA, false)),
                rig.smmu.events());
    }

    @Test
    void an_ste_at_address_0_and_one_ending_at_the_end_of_memory_are_fetched() {
        rig.regs.writeRegister64(STRTAB_BASE, 0);
        rig.ram.writeLong(0, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_BYPASS));
        assertEquals(DmaStatus.OK, rig.port(0).read(SmmuRig.DATA, new byte[1], 0, 1));
        long strtab = END - 4 * SteLayout.BYTES; // STE 3 is the last 64 bytes of memory
        rig.regs.writeRegister(STRTAB_BASE_CFG, 2); // 4 STEs: the base is aligned to 256 bytes
        rig.regs.writeRegister64(STRTAB_BASE, strtab);
        rig.ram.writeLong(strtab + 3 * SteLayout.BYTES,
                SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_BYPASS));
        assertEquals(DmaStatus.OK, rig.port(3).read(SmmuRig.DATA, new byte[1], 0, 1));
        assertEquals(List.of(), rig.smmu.events());
    }

    @Test
    void substreams_stage_2_nested_and_reserved_configs_are_bad_stes() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        long good = rig.ram.readLong(SmmuRig.STRTAB + SID * (long) SteLayout.BYTES);
        rig.writeSte(1, good | Fields.prep(SteLayout.S1CDMAX, 1), 0); // two CDs: substreams
        rig.writeSte(2, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_NESTED), 0);
        rig.writeSte(3, SteLayout.V | Fields.prep(SteLayout.CONFIG, 1), 0); // reserved Config
        rig.writeSte(4, SteLayout.V | Fields.prep(SteLayout.CONFIG, 3), 0); // reserved Config
        for (int sid = 1; sid <= 4; sid++) {
            assertEquals(DmaStatus.ABORT, rig.port(sid).read(VA, new byte[1], 0, 1), "sid " + sid);
            assertEquals(new SmmuEvent(SmmuEvent.Kind.BAD_STE, sid, VA, false),
                    rig.smmu.events().get(sid - 1));
        }
        assertEquals(DmaStatus.OK, rig.port(SID).read(VA, new byte[1], 0, 1));
    }

    @Test
    void t0sz_16_to_39_little_endian_aarch64_cds_are_valid_and_the_rest_bad() {
        PageTables pt = rig.tables(12, 25); // T0SZ 39: the smallest input range
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        assertEquals(DmaStatus.OK, rig.port(SID).read(VA, new byte[1], 0, 1));
        long base = SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.T0SZ;
        long[] bad = {
            base | Fields.prep(CdLayout.T0SZ, 40),
            base | Fields.prep(CdLayout.T0SZ, 15),
            base | Fields.prep(CdLayout.T0SZ, 16) | CdLayout.ENDI, // big-endian tables
            (base | Fields.prep(CdLayout.T0SZ, 16)) & ~CdLayout.AA64, // AArch32 tables
        };
        for (int i = 0; i < bad.length; i++) {
            int sid = 10 + i;
            rig.translate(sid, ASID, pt);
            rig.writeCd(sid, bad[i], pt.root);
            assertEquals(DmaStatus.ABORT, rig.port(sid).read(VA, new byte[1], 0, 1), "cd " + i);
            assertEquals(SmmuEvent.Kind.BAD_CD, rig.smmu.events().get(i).kind(), "cd " + i);
        }
    }

    @Test
    void each_ste_and_cd_is_fetched_once_until_invalidated() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        assertEquals(2, rig.smmu.counters().configFetches(), "the STE and the CD");
        assertEquals(DmaStatus.OK, port.read(VA + 1, new byte[1], 0, 1));
        assertEquals(2, rig.smmu.counters().configFetches());
        rig.cfgiCd(SID);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        assertEquals(3, rig.smmu.counters().configFetches(), "the CD again");
    }

    @Test
    void a_cd_fetch_snoops_cpu_caches_only_with_cohacc_and_a_cacheable_s1cir() {
        for (int variant = 0; variant < 3; variant++) {
            boolean cohacc = variant != 2;
            boolean cacheable = variant != 1;
            SmmuRig r = new SmmuRig(SmmuConfig.gem5().withCoherentWalk(cohacc)).enable();
            PageTables pt = r.tables(12, 48);
            pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
            // the CD is still dirty in CPU 0's cache: RAM holds zeros (V clear)
            Cpu cpu = r.machine.cpu(0);
            long cd = SmmuRig.cdAddress(SID);
            cpu.storeLong(cd, SmmuRig.cd0(ASID, 12, 48, false));
            cpu.storeLong(cd + 8, pt.root & CdLayout.TTB0);
            r.writeSte(SID, s1Ste(cd), cacheable
                    ? Fields.prep(SteLayout.S1CIR, SteLayout.CACHE_WBRA) : 0);
            DmaStatus s = r.port(SID).read(VA, new byte[1], 0, 1);
            String what = "COHACC=" + cohacc + " S1CIR cacheable=" + cacheable;
            assertEquals(cohacc && cacheable ? DmaStatus.OK : DmaStatus.ABORT, s, what);
            if (s == DmaStatus.ABORT) {
                assertEquals(SmmuEvent.Kind.BAD_CD, r.smmu.events().get(0).kind(), what);
            }
        }
    }

    @Test
    void without_asid16_a_cd_with_asid_bits_15_to_8_set_is_c_bad_cd_and_not_cached() {
        SmmuRig r = new SmmuRig(SmmuRig.gem5With8BitAsids()).enable();
        PageTables pt = r.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        r.translate(SID, 0x107, pt); // ASID[15:8] = 1: ILLEGAL on an 8-bit SMMU (IHI 0070 CD.ASID)
        DmaPort port = r.port(SID);
        assertEquals(DmaStatus.ABORT, port.read(VA, new byte[1], 0, 1));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.BAD_CD, SID, VA, false)),
                r.smmu.events());
        assertEquals(0, r.smmu.counters().walks(), "nothing walked");
        r.writeCd(SID, SmmuRig.cd0(7, 12, 48, true), pt.root); // no CFGI: nothing was cached
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        assertEquals(1, r.smmu.events().size());
    }

    @Test
    void with_asid16_a_cd_with_asid_bits_15_to_8_set_is_legal_and_tags_its_own_asid() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, 0x107, pt);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        pt.clear(VA, 3);
        rig.tlbiAsid(7);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1), "ASID 7 is another ASID");
        rig.tlbiAsid(0x107);
        assertEquals(DmaStatus.ABORT, port.read(VA, new byte[1], 0, 1), "ASID 0x107 invalidated");
    }

    @Test
    void cfgi_ste_and_cfgi_cd_reach_stream_0_and_ignore_streams_beyond_the_table() {
        rig.bypass(0);
        DmaPort port0 = rig.port(0);
        assertEquals(DmaStatus.OK, port0.read(SmmuRig.DATA, new byte[1], 0, 1));
        rig.abort(0);
        rig.cfgiSte(256, false); // SIDSIZE 8: no stream 256
        rig.cfgiCd(256);
        assertEquals(rig.prod(), rig.cons(), "legal commands, consumed");
        assertEquals(DmaStatus.OK, port0.read(SmmuRig.DATA, new byte[1], 0, 1), "still cached");
        rig.cfgiSte(0, true);
        assertEquals(DmaStatus.ABORT, port0.read(SmmuRig.DATA, new byte[1], 0, 1));

        PageTables a = rig.tables(12, 48);
        a.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        PageTables empty = rig.tables(12, 48);
        rig.translate(0, ASID, a);
        rig.cfgiSte(0, false);
        assertEquals(DmaStatus.OK, port0.read(VA, new byte[1], 0, 1));
        rig.writeCd(0, SmmuRig.cd0(ASID + 1, 12, 48, true), empty.root);
        rig.cfgiCd(0);
        assertEquals(DmaStatus.ABORT, port0.read(VA, new byte[1], 0, 1), "the new CD is used");
        SmmuCounters c = rig.smmu.counters();
        assertEquals(3, c.cfgiSte());
        assertEquals(2, c.cfgiCd());
        assertEquals(0, c.commandErrors());
    }

    @Test
    void cfgi_ste_range_drops_the_block_aligned_to_its_size_around_the_sid() {
        List<DmaPort> ports = rig.cachedBypassThenAbort(16);
        // SID 13, RANGE 1: the 4 streams 12..15 (SID & ~3), not 4..7
        rig.command(CommandLayout.OP_CFGI_STE_RANGE | Fields.prep(CommandLayout.CFGI_0_SID, 13),
                Fields.prep(CommandLayout.CFGI_1_RANGE, 1));
        for (int sid = 0; sid < 16; sid++) {
            DmaStatus want = sid >= 12 ? DmaStatus.ABORT : DmaStatus.OK;
            assertEquals(want, ports.get(sid).read(0, new byte[1], 0, 1), "stream " + sid);
        }
        assertEquals(1, rig.smmu.counters().cfgiSte());
    }

    @Test
    void cfgi_ste_range_over_more_streams_than_the_table_has_drops_them_all() {
        List<DmaPort> ports = rig.cachedBypassThenAbort(4);
        rig.bypass(255);
        DmaPort last = rig.port(255);
        assertEquals(DmaStatus.OK, last.read(0, new byte[1], 0, 1));
        rig.abort(255);
        // RANGE 8: 512 streams from 0, on a table of 256
        rig.command(CommandLayout.OP_CFGI_STE_RANGE, Fields.prep(CommandLayout.CFGI_1_RANGE, 8));
        assertEquals(rig.prod(), rig.cons());
        for (DmaPort p : ports) {
            assertEquals(DmaStatus.ABORT, p.read(0, new byte[1], 0, 1));
        }
        assertEquals(DmaStatus.ABORT, last.read(0, new byte[1], 0, 1));
    }

    @Test
    void cfgi_all_drops_cds_as_well_as_stes() {
        PageTables a = rig.tables(12, 48);
        a.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        PageTables empty = rig.tables(12, 48);
        rig.translate(SID, ASID, a);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        rig.writeCd(SID, SmmuRig.cd0(ASID + 1, 12, 48, true), empty.root);
        rig.command(CommandLayout.OP_CFGI_STE_RANGE, Fields.prep(CommandLayout.CFGI_1_RANGE, 31));
        assertEquals(DmaStatus.ABORT, port.read(VA, new byte[1], 0, 1), "the new CD is used");
        rig.command(CommandLayout.OP_CFGI_CD_ALL | Fields.prep(CommandLayout.CFGI_0_SID, SID), 0);
        assertEquals(1, rig.smmu.counters().cfgiCd());
    }
}

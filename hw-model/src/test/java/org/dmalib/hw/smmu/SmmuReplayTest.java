package org.dmalib.hw.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * The SMMU replays its last micro-TLB hit without redoing the look-ups: every change that could
 * alter that translation (an invalidation, a configuration change, a register write, another
 * stream, another page, a different access) must be seen at the very next access, and a replay
 * must count exactly what the look-up it stands for counts. A replay takes no lock, so the same
 * must hold for threads reading at once.
 */
class SmmuReplayTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long VA = 0x4000_0000L;
    private static final long PAGE = 0x1000;
    private static final long OTHER = SmmuRig.DATA + 0x10_0000; // a second physical page

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
    private final PageTables pt = rig.tables(12, 48);
    private final DmaPort port;

    SmmuReplayTest() {
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        port = rig.port(SID);
        rig.ram.writeLong(SmmuRig.DATA, 0x1111);
        rig.ram.writeLong(OTHER, 0x2222);
    }

    /** Reads the word at {@code va}, or -1 if the read aborts. */
    private long word(DmaPort p, long va) {
        byte[] b = new byte[8];
        if (p.read(va, b, 0, 8) != DmaStatus.OK) {
            return -1;
        }
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xffL); // little-endian
        }
        return v;
    }

    /** Walks VA, then hits it in the micro-TLB: the hit is the translation replayed next. */
    private void warm() {
        assertEquals(0x1111, word(port, VA));
        assertEquals(0x1111, word(port, VA));
    }

    @Test
    void repeated_hits_count_what_micro_tlb_hits_count() {
        warm();
        SmmuCounters before = rig.smmu.counters();
        for (int i = 0; i < 10; i++) {
            assertEquals(i == 0 ? 0x1111 : 0, word(port, VA + 8L * i)); // anywhere in the page
        }
        SmmuCounters d = rig.smmu.counters().minus(before);
        assertEquals(10, d.translations());
        assertEquals(10, d.microTlbHits());
        assertEquals(0, d.microTlbMisses() + d.mainTlbHits() + d.mainTlbMisses() + d.walks()
                + d.pteReads() + d.configFetches() + d.faults());
    }

    @Test
    void a_tlbi_after_a_remap_is_seen_at_the_next_access() {
        warm();
        pt.mapPage(VA, OTHER, PageTables.RW);
        assertEquals(0x1111, word(port, VA), "no TLBI yet: the old translation is still cached");
        rig.tlbiVa(ASID, VA, true);
        assertEquals(0x2222, word(port, VA));
    }

    @Test
    void a_tlbi_after_an_unmap_faults_the_next_access() {
        warm();
        pt.clear(VA, 3);
        rig.tlbiAsid(ASID);
        assertEquals(-1, word(port, VA));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, VA, false)),
                rig.smmu.events());
    }

    @Test
    void an_eviction_from_the_micro_tlb_is_not_replayed_as_a_micro_tlb_hit() {
        warm();
        for (int i = 1; i <= 32; i++) { // 32 fills evict VA from the 32-entry micro-TLB
            pt.mapPage(VA + i * PAGE, SmmuRig.DATA, PageTables.RW);
            assertEquals(0x1111, word(port, VA + i * PAGE));
        }
        SmmuCounters before = rig.smmu.counters();
        assertEquals(0x1111, word(port, VA));
        SmmuCounters d = rig.smmu.counters().minus(before);
        assertEquals(0, d.microTlbHits());
        assertEquals(1, d.microTlbMisses());
        assertEquals(1, d.mainTlbHits());
    }

    @Test
    void a_changed_ste_is_seen_after_cfgi_ste_and_not_before() {
        warm();
        rig.abort(SID);
        assertEquals(0x1111, word(port, VA), "no CFGI yet: the cached STE still translates");
        rig.cfgiSte(SID, true);
        assertEquals(-1, word(port, VA));
        rig.bypass(SID);
        rig.cfgiSte(SID, false);
        assertEquals(0x2222, word(port, OTHER), "bypass: the address is the physical address");
        assertEquals(List.of(), rig.smmu.events()); // an abort STE records no event
    }

    @Test
    void a_new_cd_with_another_asid_is_seen_after_cfgi_cd() {
        warm();
        PageTables fresh = rig.tables(12, 48);
        fresh.mapPage(VA, OTHER, PageTables.RW);
        rig.writeCd(SID, SmmuRig.cd0(ASID + 1, 12, 48, true), fresh.root);
        assertEquals(0x1111, word(port, VA), "no CFGI yet: the cached CD still translates");
        rig.cfgiCd(SID);
        assertEquals(0x2222, word(port, VA));
    }

    @Test
    void clearing_smmuen_bypasses_at_once_and_setting_it_translates_again() {
        warm();
        rig.regs.writeRegister(CR0, (int) (CR0_EVENTQEN | CR0_CMDQEN));
        assertEquals(0x2222, word(port, OTHER), "GBPA bypass: untranslated");
        assertEquals(-1, word(port, VA), "untranslated VA is outside memory");
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN));
        assertEquals(0x1111, word(port, VA));
    }

    @Test
    void shrinking_the_stream_table_makes_the_stream_id_bad_at_once() {
        warm();
        rig.regs.writeRegister(STRTAB_BASE_CFG, 2); // 4 STEs: stream 5 is beyond the table
        assertEquals(-1, word(port, VA));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, SID, VA, false)),
                rig.smmu.events());
    }

    @Test
    void a_write_to_a_read_only_page_faults_every_time_between_replayed_reads() {
        long ro = VA + PAGE;
        pt.mapPage(ro, OTHER, PageTables.RO);
        assertEquals(0x2222, word(port, ro));
        assertEquals(0x2222, word(port, ro));
        for (int i = 0; i < 3; i++) {
            assertEquals(DmaStatus.ABORT, port.write(ro, new byte[8], 0, 8));
            assertEquals(0x2222, word(port, ro));
        }
        assertEquals(3, rig.smmu.counters().faults());
        assertEquals(3, rig.smmu.events().size());
        assertEquals(new SmmuEvent(SmmuEvent.Kind.PERMISSION_FAULT, SID, ro, true),
                rig.smmu.events().get(2));
    }

    @Test
    void another_stream_and_another_page_get_their_own_translations() {
        PageTables other = rig.tables(12, 48);
        other.mapPage(VA, OTHER, PageTables.RW);
        rig.translate(6, ASID + 1, other);
        DmaPort port6 = rig.port(6);
        warm();
        assertEquals(0x2222, word(port6, VA));
        assertEquals(0x2222, word(port6, VA));
        assertEquals(0x1111, word(port, VA));
        assertEquals(-1, word(port, VA + PAGE), "the next page is not mapped");
        assertEquals(0x1111, word(port, VA));
        assertEquals(-1, word(rig.port(300), VA), "beyond the table and the 8-bit stream IDs");
        assertEquals(new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, 300, VA, false),
                rig.smmu.events().get(1));
    }

    @Test
    void replayed_hits_of_two_threads_at_once_are_all_counted() throws InterruptedException {
        warm();
        int reads = 50_000;
        SmmuCounters before = rig.smmu.counters();
        AtomicLong wrong = new AtomicLong();
        Runnable reader = () -> {
            for (int i = 0; i < reads; i++) {
                if (word(port, VA) != 0x1111) {
                    wrong.incrementAndGet();
                }
            }
        };
        Thread other = new Thread(reader);
        other.start();
        reader.run();
        other.join();
        SmmuCounters d = rig.smmu.counters().minus(before);
        assertEquals(0, wrong.get());
        assertEquals(2L * reads, d.translations());
        assertEquals(2L * reads, d.microTlbHits());
        assertEquals(0, d.walks() + d.microTlbMisses());
    }

    @Test
    void a_read_that_starts_after_the_tlbi_returned_is_never_replayed_from_before_it()
            throws InterruptedException {
        warm();
        CountDownLatch replaying = new CountDownLatch(1);
        AtomicLong afterTlbi = new AtomicLong(-2); // what the first read after the TLBI saw
        AtomicBoolean tlbiReturned = new AtomicBoolean(); // set after rig.tlbiAsid returned
        Thread reader = new Thread(() -> {
            for (long n = 0; ; n++) {
                boolean done = tlbiReturned.get();
                long w = word(port, VA);
                if (done) {
                    afterTlbi.set(w);
                    return;
                }
                if (n == 1000) {
                    replaying.countDown();
                }
            }
        });
        reader.start();
        assertTrue(replaying.await(10, TimeUnit.SECONDS));
        pt.clear(VA, 3);
        rig.tlbiAsid(ASID);
        tlbiReturned.set(true);
        reader.join(10_000);
        assertEquals(-1, afterTlbi.get(), "the read after the TLBI must fault, not replay");
    }
}

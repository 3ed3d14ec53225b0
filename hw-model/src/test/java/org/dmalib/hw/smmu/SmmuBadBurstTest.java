package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * Bad bursts and shapes behind an SMMU: what a device model author or platform engineer can get
 * wrong, and what must then hold (nothing moves, the SMMU reports what hardware would).
 */
class SmmuBadBurstTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long VA = 0x4000_0000L;
    private static final int PAGE = 0x1000;
    private static final long END = 64L << 20; // the rig's memory

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
    private final PageTables pt = rig.tables(12, 48);
    private final Cpu cpu = rig.machine.cpu(0);

    private static byte[] filled(int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) 0x77);
        return b;
    }

    /** What an aborted burst must leave alone: RAM of both data pages, the CPU's lines. */
    private String dataState() {
        StringBuilder s = new StringBuilder();
        byte[] page = new byte[PAGE];
        for (long pa : new long[] {SmmuRig.DATA, SmmuRig.DATA + PAGE, END - PAGE}) {
            rig.ram.read(pa, page, 0, PAGE);
            s.append(Arrays.hashCode(page)).append(' ');
            for (long a = pa; a < pa + PAGE; a += 64) {
                s.append(cpu.isDirty(a) ? 'D' : cpu.isCached(a) ? 'c' : '.');
            }
            s.append('\n');
        }
        return s.toString();
    }

    /**
     * Asserts that a read and a write of {@code length} bytes at {@code va} both abort with no
     * byte moved, no line changed, no DMA byte counted, and {@code events} more events each.
     */
    private void aborts(DmaPort port, long va, int length, List<SmmuEvent> events) {
        String before = dataState();
        HwCounters hw = rig.machine.counters();
        int seen = rig.smmu.events().size();
        byte[] dst = filled(length);
        assertEquals(DmaStatus.ABORT, port.read(va, dst, 0, length));
        assertArrayEquals(filled(length), dst);
        assertEquals(DmaStatus.ABORT, port.write(va, filled(length), 0, length));
        assertEquals(before, dataState());
        HwCounters d = rig.machine.counters().minus(hw);
        assertEquals(new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 2), d, "only two aborts counted");
        List<SmmuEvent> all = rig.smmu.events();
        assertEquals(events, all.subList(seen, all.size()));
    }

    /** Maps VA to DATA read/write, leaves VA + PAGE as {@code second} says, and dirties DATA. */
    private DmaPort twoPages(Coherency coherency, long secondPa, long secondAttrs) {
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        if (secondAttrs != 0) {
            pt.mapPage(VA + PAGE, secondPa, secondAttrs);
        }
        rig.translate(SID, ASID, pt);
        rig.ram.fill(SmmuRig.DATA, 2 * PAGE, (byte) 0x11);
        cpu.storeLong(SmmuRig.DATA + PAGE - 64, 0x2222); // dirty, in the mapped page
        cpu.loadLong(SmmuRig.DATA); // clean
        return rig.machine.attach(SID, coherency, rig.smmu);
    }

    private static List<SmmuEvent> twice(SmmuEvent.Kind kind, long va) {
        return List.of(new SmmuEvent(kind, SID, va, false), new SmmuEvent(kind, SID, va, true));
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_burst_from_a_mapped_page_into_an_unmapped_one_moves_nothing(Coherency c) {
        DmaPort port = twoPages(c, 0, 0);
        aborts(port, VA + PAGE - 64, 128, twice(SmmuEvent.Kind.TRANSLATION_FAULT, VA + PAGE));
        aborts(port, VA, 3 * PAGE, twice(SmmuEvent.Kind.TRANSLATION_FAULT, VA + PAGE));
        assertTrue(cpu.isDirty(SmmuRig.DATA + PAGE - 64));
        byte[] got = new byte[8];
        assertEquals(DmaStatus.OK, port.read(VA + PAGE - 64, got, 0, 8)); // the good call
        assertEquals(c == Coherency.COHERENT ? 0x22 : 0x11, got[0]);
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_write_from_a_writable_page_into_a_read_only_one_writes_nothing(Coherency c) {
        DmaPort port = twoPages(c, SmmuRig.DATA + PAGE, PageTables.RO);
        String before = dataState();
        assertEquals(DmaStatus.ABORT, port.write(VA + PAGE - 64, filled(128), 0, 128));
        assertEquals(before, dataState());
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.PERMISSION_FAULT, SID, VA + PAGE, true)),
                rig.smmu.events());
        byte[] got = filled(128);
        assertEquals(DmaStatus.OK, port.read(VA + PAGE - 64, got, 0, 128)); // reading is allowed
        assertEquals(0x11, got[64]);
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_page_translated_past_the_end_of_memory_aborts_the_whole_burst(Coherency c) {
        // the SMMU translates (the output is below its 48-bit OAS): the bus refuses the page
        DmaPort port = twoPages(c, END, PageTables.RW);
        aborts(port, VA + PAGE - 64, 128, List.of());
        aborts(port, VA + PAGE, 1, List.of());
        assertEquals(0, rig.smmu.counters().faults());
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_burst_at_2_pow_63_or_above_is_a_translation_fault_the_smmu_records(Coherency c) {
        // bus addresses are unsigned: past the 48-bit input size, as any address there is
        DmaPort port = twoPages(c, 0, 0);
        aborts(port, Long.MIN_VALUE, 8, twice(SmmuEvent.Kind.TRANSLATION_FAULT, Long.MIN_VALUE));
        aborts(port, -PAGE, PAGE, twice(SmmuEvent.Kind.TRANSLATION_FAULT, -PAGE)); // the last page
        aborts(port, Long.MAX_VALUE - 63, 128, // across 2^63: its first page faults first
                twice(SmmuEvent.Kind.TRANSLATION_FAULT, Long.MAX_VALUE - 63));
        aborts(port, 1L << 48, 8, twice(SmmuEvent.Kind.TRANSLATION_FAULT, 1L << 48)); // as 2^48
        byte[] got = new byte[8];
        assertEquals(DmaStatus.OK, port.read(VA, got, 0, 8)); // the good call
        assertEquals(0x11, got[0]);
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_burst_wrapping_past_2_pow_64_aborts_before_the_smmu(Coherency c) {
        // no interconnect issues a burst whose last byte wraps: nothing is translated
        DmaPort port = twoPages(c, 0, 0);
        long translations = rig.smmu.counters().translations();
        aborts(port, -8, 16, List.of());
        aborts(port, -PAGE, 2 * PAGE, List.of()); // would wrap into page 0
        assertEquals(translations, rig.smmu.counters().translations());
    }

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

package org.dmalib.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dmalib.hw.cache.CacheMaintenance;
import org.junit.jupiter.api.Test;

/**
 * A coherent master's reads and writes across pages that some caches hold and others do not:
 * the fabric skips the caches (and pages) its region filter rules out, and must still see every
 * dirty line and every write-back in flight.
 */
class CoherentDmaTest {
    private static final long MIB = 1L << 20;
    private static final int PAGE = 4096;
    private static final long BUF = 0x10000;
    private static final int CPUS = 4;

    private final Machine machine = Machine.create(new MachineConfig(4 * MIB, CPUS,
            CacheGeometry.DEFAULT));
    private final PhysicalMemory ram = machine.memory();
    private final DmaPort device = machine.attach(1, Coherency.COHERENT);

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + 3 * i);
        }
        return b;
    }

    @Test
    void a_read_over_four_pages_sees_dirty_lines_in_two_other_cpus_and_ram_elsewhere() {
        byte[] expected = pattern(4 * PAGE, 1);
        ram.write(BUF, expected, 0, expected.length);
        // page 0: no cache holds it; page 1: CPU 2 dirty; page 2: CPU 0 clean; page 3: CPU 3 dirty
        machine.cpu(2).storeLong(BUF + PAGE + 128, 0x1122_3344_5566_7788L);
        machine.cpu(0).loadLong(BUF + 2 * PAGE + 64);
        machine.cpu(3).storeLong(BUF + 4 * PAGE - 8, -2L);
        putLong(expected, PAGE + 128, 0x1122_3344_5566_7788L);
        putLong(expected, 4 * PAGE - 8, -2L);
        byte[] got = new byte[4 * PAGE - 100];
        assertTrue(device.read(BUF + 50, got, 0, got.length).ok()); // misaligned both ends
        byte[] want = new byte[got.length];
        System.arraycopy(expected, 50, want, 0, want.length);
        assertArrayEquals(want, got);
        assertEquals(getLong(pattern(4 * PAGE, 1), PAGE + 128), ram.readLong(BUF + PAGE + 128),
                "a coherent read leaves the dirty line where it is");
    }

    @Test
    void a_write_back_in_flight_is_seen_though_no_cache_holds_the_page() {
        Cpu cpu = machine.cpu(1);
        cpu.storeLong(BUF + 8, 42);
        CacheMaintenance.of(cpu).cleanInvalidateLine(BUF); // the line leaves every cache
        assertFalse(cpu.isCached(BUF));
        assertEquals(0, ram.readLong(BUF + 8), "no barrier yet: RAM is old");
        byte[] got = new byte[16];
        assertTrue(device.read(BUF, got, 0, got.length).ok());
        assertEquals(42, getLong(got, 8));
    }

    @Test
    void a_write_over_two_pages_keeps_the_bytes_it_does_not_write_of_a_dirty_line() {
        Cpu cpu = machine.cpu(3);
        cpu.storeLong(BUF + PAGE + 56, 0x0102_0304_0506_0708L); // last word of the second line
        byte[] src = pattern(PAGE + 8, 9); // ends at BUF + PAGE + 8 + 8: inside that page's first line
        assertTrue(device.write(BUF + 8, src, 0, src.length).ok());
        assertFalse(cpu.isCached(BUF + PAGE + 56), "the master's write drops CPU copies");
        assertEquals(0x0102_0304_0506_0708L, ram.readLong(BUF + PAGE + 56));
        byte[] back = new byte[src.length];
        ram.read(BUF + 8, back, 0, back.length);
        assertArrayEquals(src, back);
    }

    /**
     * A seeded history of CPU stores and loads, cleans, barriers and device writes, with small
     * caches that evict constantly: every coherent read must return exactly the last value
     * written to each byte, whichever cache or write-back holds it.
     */
    @Test
    void coherent_reads_always_see_the_latest_data() {
        CacheGeometry small = new CacheGeometry(64, 2048, 2); // 32 lines per CPU
        Machine m = Machine.create(new MachineConfig(MIB, 3, small));
        DmaPort dev = m.attach(1, Coherency.COHERENT);
        int window = 5 * PAGE;
        byte[] shadow = new byte[window];
        Random r = new Random(20240601L);
        int readsInFlight = 0; // reads made while some write-back was in flight
        for (int step = 0; step < 4000; step++) {
            Cpu cpu = m.cpu(r.nextInt(3));
            int at = r.nextInt(window / Long.BYTES) * Long.BYTES;
            switch (r.nextInt(8)) {
                case 0, 1 -> {
                    long v = r.nextLong();
                    cpu.storeLong(BUF + at, v);
                    putLong(shadow, at, v);
                }
                case 2 -> assertEquals(getLong(shadow, at), cpu.loadLong(BUF + at));
                case 3 -> CacheMaintenance.of(cpu).cleanLine(BUF + at);
                case 4 -> CacheMaintenance.of(cpu).cleanInvalidateRange(BUF + at,
                        1 + r.nextInt(Math.min(2 * PAGE, window - at)));
                case 5 -> CacheMaintenance.of(cpu).barrier();
                case 6 -> {
                    int off = r.nextInt(window);
                    byte[] src = new byte[1 + r.nextInt(window - off)];
                    r.nextBytes(src);
                    assertTrue(dev.write(BUF + off, src, 0, src.length).ok());
                    System.arraycopy(src, 0, shadow, off, src.length);
                }
                default -> {
                    int off = r.nextInt(window);
                    byte[] got = new byte[1 + r.nextInt(window - off)];
                    assertTrue(dev.read(BUF + off, got, 0, got.length).ok());
                    byte[] want = new byte[got.length];
                    System.arraycopy(shadow, off, want, 0, want.length);
                    assertArrayEquals(want, got, "step " + step);
                    readsInFlight += m.writebacksInFlight() > 0 ? 1 : 0;
                }
            }
        }
        assertTrue(readsInFlight > 50, "the history keeps write-backs in flight: " + readsInFlight);
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < Long.BYTES; i++) {
            b[at + i] = (byte) (v >>> (8 * i)); // little-endian
        }
    }

    private static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = Long.BYTES - 1; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xffL);
        }
        return v;
    }

    @Test
    void a_small_read_across_a_clean_line_and_a_dirty_line_sees_the_dirty_bytes() {
        byte[] old = pattern(2 * 64, 5);
        ram.write(BUF, old, 0, old.length);
        machine.cpu(0).loadLong(BUF); // line 0 cached clean
        machine.cpu(0).storeLong(BUF + 64, 0x0102_0304_0506_0708L); // line 1 dirty
        byte[] got = new byte[8];
        assertTrue(device.read(BUF + 60, got, 0, 8).ok());
        byte[] want = {old[60], old[61], old[62], old[63], 8, 7, 6, 5};
        assertArrayEquals(want, got);
    }

    @Test
    void a_read_over_pages_no_cache_holds_around_a_dirty_one_gets_ram_and_the_dirty_line() {
        byte[] expected = pattern(3 * PAGE, 9);
        ram.write(BUF, expected, 0, expected.length);
        // page 0 and page 2: no cache holds a line; page 1: one dirty line in CPU 1
        machine.cpu(1).storeLong(BUF + PAGE + 128, -1L);
        for (int i = 0; i < 8; i++) {
            expected[PAGE + 128 + i] = -1;
        }
        byte[] got = new byte[3 * PAGE - 200];
        assertTrue(device.read(BUF + 100, got, 0, got.length).ok());
        assertArrayEquals(java.util.Arrays.copyOfRange(expected, 100, 100 + got.length), got);
    }

    @Test
    void a_one_line_write_drops_the_cpus_copy_so_it_sees_the_new_data() {
        Cpu cpu = machine.cpu(0);
        cpu.loadLong(BUF); // cached clean
        assertTrue(device.write(BUF + 8, new byte[] {1, 2, 3}, 0, 3).ok());
        assertFalse(cpu.isCached(BUF));
        byte[] got = new byte[3];
        cpu.load(BUF + 8, got, 0, 3);
        assertArrayEquals(new byte[] {1, 2, 3}, got);
    }

    @Test
    void a_write_ending_on_a_line_boundary_leaves_the_next_line_alone() {
        Cpu cpu = machine.cpu(0);
        cpu.storeLong(BUF + 128, 42); // the line just after the write, dirty
        cpu.storeLong(BUF + 64, 41); // the write's last line, dirty
        HwCounters before = machine.counters();
        assertTrue(device.write(BUF, new byte[128], 0, 128).ok()); // lines 0 and 1 exactly
        // the write's own dirty line is written back (its bytes the write does not cover must
        // survive in general); the next line's is not touched
        assertEquals(1, machine.counters().minus(before).writebacks());
        assertFalse(cpu.isCached(BUF + 64));
        assertTrue(cpu.isDirty(BUF + 128), "the next line is not the write's");
        assertEquals(0, ram.readLong(BUF + 128));
    }
}

package org.dmalib.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The word and byte accesses against the byte-array accesses they are short for: the same
 * values, the same cache state and the same counts, also for a word that straddles two lines
 * and for a cache whose lines evict each other.
 */
class CpuWordAccessTest {
    private static final long MIB = 1L << 20;
    private static final int LINE = 64;
    private static final long BOUNDARY = 0x10000 + 4 * LINE; // a line boundary
    // one set of one way: the second line of a straddling word evicts the first
    private static final CacheGeometry ONE_LINE = new CacheGeometry(LINE, LINE, 1);

    private static Machine machine(CacheGeometry g) {
        return Machine.create(new MachineConfig(MIB, 2, g));
    }

    private static byte[] bytes(long v) {
        return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static long word(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Presence and dirt of the lines around the boundary in both CPUs, RAM, and counters. */
    private static String state(Machine m) {
        StringBuilder s = new StringBuilder();
        for (long line = BOUNDARY - 2 * LINE; line < BOUNDARY + 2 * LINE; line += LINE) {
            for (int c = 0; c < 2; c++) {
                s.append(m.cpu(c).isDirty(line) ? 'D' : m.cpu(c).isCached(line) ? 'c' : '.');
            }
            s.append(Long.toHexString(m.memory().readLong(line + LINE - 8))).append(' ');
            s.append(Long.toHexString(m.memory().readLong(line))).append('\n');
        }
        return s.append(m.counters()).toString();
    }

    /** cpu1 holds the lines dirty first, so that cpu0's accesses snoop and write back. */
    private static void history(Machine m) {
        for (long a = BOUNDARY - 2 * LINE; a < BOUNDARY + 2 * LINE; a += Long.BYTES) {
            m.cpu(1).storeLong(a, 0x0101_0101_0101_0101L * (a & 0xff));
        }
    }

    @ParameterizedTest(name = "cache of {0} bytes")
    @ValueSource(ints = {LINE, 64 * 1024})
    void a_word_access_is_the_eight_byte_access(int capacity) {
        CacheGeometry g = capacity == LINE ? ONE_LINE : CacheGeometry.DEFAULT;
        for (long a = BOUNDARY - 12; a <= BOUNDARY + 4; a++) {
            Machine byWord = machine(g);
            Machine byBytes = machine(g);
            history(byWord);
            history(byBytes);
            long loaded = byWord.cpu(0).loadLong(a);
            byte[] b = new byte[Long.BYTES];
            byBytes.cpu(0).load(a, b, 0, Long.BYTES);
            assertEquals(word(b), loaded, "load at " + a);
            assertEquals(state(byBytes), state(byWord), "after the load at " + a);
            long v = 0x8877_6655_4433_2211L ^ a;
            byWord.cpu(0).storeLong(a, v);
            byBytes.cpu(0).store(a, bytes(v), 0, Long.BYTES);
            assertEquals(state(byBytes), state(byWord), "after the store at " + a);
            // cpu1 reads it back through the snoop, which writes cpu0's dirty lines back
            assertEquals(v, byWord.cpu(1).loadLong(a), "cpu1's view at " + a);
            byBytes.cpu(1).load(a, b, 0, Long.BYTES);
            assertEquals(v, word(b));
            assertEquals(state(byBytes), state(byWord), "after cpu1's load at " + a);
        }
    }

    @ParameterizedTest(name = "cache of {0} bytes")
    @ValueSource(ints = {LINE, 64 * 1024})
    void a_byte_access_is_the_one_byte_access(int capacity) {
        CacheGeometry g = capacity == LINE ? ONE_LINE : CacheGeometry.DEFAULT;
        Machine byByte = machine(g);
        Machine byArray = machine(g);
        history(byByte);
        history(byArray);
        byte[] b = new byte[1];
        for (long a = BOUNDARY - 3; a <= BOUNDARY + 3; a++) {
            byArray.cpu(0).load(a, b, 0, 1);
            assertEquals(b[0], byByte.cpu(0).loadByte(a));
            byByte.cpu(0).storeByte(a, (byte) ~a);
            byArray.cpu(0).store(a, new byte[] {(byte) ~a}, 0, 1);
            assertEquals(state(byArray), state(byByte), "after the store at " + a);
        }
    }

    @Test
    void a_word_straddling_the_end_of_memory_is_refused_with_nothing_touched() {
        Machine m = machine(CacheGeometry.DEFAULT);
        HwCounters before = m.counters();
        assertThrows(PhysicalAddressException.class, () -> m.cpu(0).loadLong(MIB - 4));
        assertThrows(PhysicalAddressException.class, () -> m.cpu(0).storeLong(MIB - 7, 1));
        assertThrows(PhysicalAddressException.class, () -> m.cpu(0).storeLong(-1, 1));
        assertThrows(PhysicalAddressException.class, () -> m.cpu(0).loadByte(MIB));
        assertThrows(PhysicalAddressException.class, () -> m.cpu(0).storeByte(-1, (byte) 1));
        assertEquals(before, m.counters());
        assertFalse(m.cpu(0).isCached(MIB - 8));
        m.cpu(0).storeLong(MIB - 8, -1L); // the last word is inside
        assertEquals(-1L, m.cpu(0).loadLong(MIB - 8));
    }

    @ParameterizedTest(name = "cache of {0} bytes")
    @ValueSource(ints = {LINE, 64 * 1024})
    void zeroing_is_storing_zeros(int capacity) {
        CacheGeometry g = capacity == LINE ? ONE_LINE : CacheGeometry.DEFAULT;
        Machine byZero = machine(g);
        Machine byStore = machine(g);
        history(byZero);
        history(byStore);
        // a partial line, two whole lines (one held dirty by cpu1), a partial line
        long from = BOUNDARY - 2 * LINE + 24;
        int length = 3 * LINE;
        byZero.cpu(0).zero(from, length);
        byStore.cpu(0).store(from, new byte[length], 0, length);
        assertEquals(state(byStore), state(byZero));
        byte[] a = new byte[4 * LINE];
        byte[] b = new byte[4 * LINE];
        byZero.cpu(1).load(BOUNDARY - 2 * LINE, a, 0, a.length);
        byStore.cpu(1).load(BOUNDARY - 2 * LINE, b, 0, b.length);
        assertEquals(java.util.Arrays.toString(b), java.util.Arrays.toString(a), "what cpu1 sees");
        assertEquals(state(byStore), state(byZero));
    }

    @Test
    void a_bad_zero_range_is_refused_and_stores_nothing() {
        Machine m = machine(CacheGeometry.DEFAULT);
        history(m);
        String before = state(m);
        assertThrows(IllegalArgumentException.class, () -> m.cpu(0).zero(BOUNDARY, -1));
        assertThrows(PhysicalAddressException.class, () -> m.cpu(0).zero(MIB - LINE, 2 * LINE));
        m.cpu(0).zero(BOUNDARY, 0);
        assertEquals(before, state(m));
    }

    @ParameterizedTest(name = "cache of {0} bytes")
    @ValueSource(ints = {LINE, 64 * 1024})
    void a_whole_line_store_is_the_store_of_its_two_halves(int capacity) {
        CacheGeometry g = capacity == LINE ? ONE_LINE : CacheGeometry.DEFAULT;
        Machine whole = machine(g);
        Machine halves = machine(g);
        history(whole);
        history(halves);
        byte[] data = new byte[2 * LINE];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 1);
        }
        long at = BOUNDARY - LINE; // two whole lines, both held dirty by cpu1
        whole.cpu(0).store(at, data, 0, data.length);
        for (int off = 0; off < data.length; off += LINE / 2) {
            halves.cpu(0).store(at + off, data, off, LINE / 2);
        }
        String a = state(whole);
        String b = state(halves);
        // the halves count two accesses per line where the whole line counts one
        assertEquals(b.substring(0, b.indexOf("HwCounters")), a.substring(0, a.indexOf("HwCounters")));
        byte[] seenWhole = new byte[data.length];
        byte[] seenHalves = new byte[data.length];
        whole.cpu(1).load(at, seenWhole, 0, seenWhole.length);
        halves.cpu(1).load(at, seenHalves, 0, seenHalves.length);
        assertEquals(java.util.Arrays.toString(data), java.util.Arrays.toString(seenWhole));
        assertEquals(java.util.Arrays.toString(seenHalves), java.util.Arrays.toString(seenWhole));
    }

    @Test
    void a_straddling_word_load_takes_exactly_its_eight_bytes() {
        Machine m = machine(CacheGeometry.DEFAULT);
        byte[] ram = new byte[2 * LINE];
        java.util.Arrays.fill(ram, (byte) 0xff); // every neighbour byte set
        for (int i = 0; i < Long.BYTES; i++) {
            ram[LINE - 3 + i] = (byte) (0x10 + i);
        }
        m.memory().write(BOUNDARY - LINE, ram, 0, ram.length);
        assertEquals(0x1716_1514_1312_1110L, m.cpu(0).loadLong(BOUNDARY - 3));
    }

    @Test
    void compare_and_swap_acts_on_the_word_at_its_offset_in_the_line() {
        Machine m = machine(CacheGeometry.DEFAULT);
        Cpu cpu = m.cpu(0);
        cpu.storeLong(BOUNDARY, 0x55);
        cpu.storeLong(BOUNDARY + 8, 0x66);
        assertEquals(0x66, cpu.compareAndSwapLong(BOUNDARY + 8, 0x66, 0x77));
        assertEquals(0x77, cpu.loadLong(BOUNDARY + 8));
        assertEquals(0x55, cpu.loadLong(BOUNDARY));
        assertEquals(0x55, cpu.compareAndSwapLong(BOUNDARY, 0x55, 0x44));
        assertEquals(0x77, cpu.loadLong(BOUNDARY + 8));
    }
}

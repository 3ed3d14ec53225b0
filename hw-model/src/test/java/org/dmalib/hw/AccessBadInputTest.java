package org.dmalib.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.cache.CacheMaintenance;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What a test writer or driver author can pass to RAM and to a CPU that is wrong: array ranges
 * out of bounds, null arrays, physical ranges past the end of memory or whose end wraps past
 * 2^63, misaligned words. Each is refused with its documented exception naming the bad value,
 * and afterwards RAM, every cache line, the write-backs in flight and every counter are as
 * they were, and a good call still works.
 */
class AccessBadInputTest {
    private static final long MIB = 1L << 20;
    private static final long END = MIB;
    private static final long BUF = 0x10000;
    private static final long TOP = Long.MAX_VALUE;

    private final Machine machine = Machine.create(MachineConfig.of(MIB));
    private final PhysicalMemory ram = machine.memory();
    private final Cpu cpu0 = machine.cpu(0);
    private final Cpu cpu1 = machine.cpu(1);

    /** RAM written, a dirty line in each CPU, a clean line, and a clean still in flight. */
    @BeforeEach
    void history() {
        ram.write(BUF, MachineState.pattern(4096, 1), 0, 4096);
        cpu0.storeLong(BUF, 0x1111);
        cpu1.storeLong(BUF + 128, 0x2222);
        cpu1.loadLong(BUF + 256);
        cpu0.storeLong(END - 8, 0x3333); // the last line of memory, dirty
        cpu0.storeLong(BUF + 512, 0x4444);
        CacheMaintenance.of(cpu0).cleanLine(BUF + 512); // in flight until cpu0's barrier
    }

    /** Asserts that {@code call} throws {@code type} naming {@code named} and changes nothing. */
    private <T extends Throwable> T refused(Class<T> type, String named, Executable call) {
        String before = MachineState.of(machine);
        T e = assertThrows(type, call);
        assertEquals(type, e.getClass(), "exactly " + type.getSimpleName() + ": " + e);
        assertTrue(e.getMessage() != null && e.getMessage().contains(named),
                "message names " + named + ": " + e.getMessage());
        assertEquals(before, MachineState.of(machine), "state after " + e);
        return e;
    }

    private PhysicalAddressException outside(long paddr, long length, Executable call) {
        PhysicalAddressException e = refused(PhysicalAddressException.class,
                String.format("0x%x", paddr), call);
        assertEquals(paddr, e.paddr());
        assertEquals(length, e.length());
        return e;
    }

    @Test
    void ram_refuses_an_array_range_out_of_bounds_and_copies_nothing() {
        byte[] eight = {9, 9, 9, 9, 9, 9, 9, 9};
        // (a length past the end of memory is refused as a physical range first)
        int[][] bad = {{-1, 4}, {9, 0}, {4, 5}, {0, 9}, {Integer.MAX_VALUE, 1},
            {Integer.MIN_VALUE, 1}};
        for (int[] r : bad) {
            String named = Integer.toString(r[0] < 0 || r[0] > 8 ? r[0] : r[1]);
            refused(IndexOutOfBoundsException.class, named, () -> ram.read(BUF, eight, r[0], r[1]));
            assertArrayEquals(new byte[] {9, 9, 9, 9, 9, 9, 9, 9}, eight);
            refused(IndexOutOfBoundsException.class, named, () -> ram.write(BUF, eight, r[0], r[1]));
        }
        assertThrows(NullPointerException.class, () -> ram.read(BUF, null, 0, 1));
        assertThrows(NullPointerException.class, () -> ram.write(BUF, null, 0, 1));
        ram.read(BUF, eight, 4, 4); // the good call
        assertArrayEquals(new byte[] {9, 9, 9, 9, 1, 8, 15, 22}, eight);
    }

    @Test
    void ram_refuses_a_range_whose_end_wraps_past_2_pow_63() {
        byte[] four = new byte[4];
        outside(TOP - 2, 4, () -> ram.write(TOP - 2, four, 0, 4));
        outside(TOP - 2, 4, () -> ram.read(TOP - 2, four, 0, 4));
        outside(1, TOP, () -> ram.fill(1, TOP, (byte) 1));
        outside(TOP, 1, () -> ram.fill(TOP, 1, (byte) 1));
        outside(TOP, TOP, () -> ram.checkRange(TOP, TOP));
        outside(END - 1, TOP, () -> ram.checkRange(END - 1, TOP));
        outside(Long.MIN_VALUE, 1, () -> ram.writeByte(Long.MIN_VALUE, (byte) 1));
        outside(TOP, 1, () -> ram.readByte(TOP));
        outside(TOP - 7, 8, () -> ram.readLong(TOP - 7));
        outside(TOP - 7, 8, () -> ram.writeLong(TOP - 7, 1));
        outside(Long.MIN_VALUE, 8, () -> ram.compareAndSetLong(Long.MIN_VALUE, 0, 1));
        ram.checkRange(END, 0); // an empty range at the end is inside
        ram.checkRange(0, END);
    }

    @Test
    void ram_refuses_a_word_past_the_end_or_misaligned_and_keeps_the_word() {
        ram.writeLong(END - 8, 0x5555);
        outside(END, 8, () -> ram.readLong(END));
        outside(END - 4, 8, () -> ram.writeLong(END - 4, 1));
        outside(-8, 8, () -> ram.writeLong(-8, 1));
        refused(PhysicalAddressException.class, "0xffffc",
                () -> ram.compareAndSetLong(END - 4, 0, 1)); // past the end before misaligned
        refused(PhysicalAddressException.class, "aligned",
                () -> ram.compareAndSetLong(END - 12, 0, 1));
        refused(PhysicalAddressException.class, "aligned", () -> ram.writeLong(END - 9, 1));
        assertEquals(0x5555, ram.readLong(END - 8));
        assertTrue(ram.compareAndSetLong(END - 8, 0x5555, 6)); // the good call
        assertEquals(6, ram.readLong(END - 8));
    }

    @Test
    void a_negative_length_is_a_bad_length_not_an_address_outside_memory() {
        // as Cpu.zero and the cache maintenance ranges report it: an IllegalArgumentException
        // naming the length, not a PhysicalAddressException claiming the range is outside
        byte[] eight = new byte[8];
        for (long length : new long[] {-1, Long.MIN_VALUE}) {
            refused(IllegalArgumentException.class, "length=" + length,
                    () -> ram.checkRange(BUF, length));
            refused(IllegalArgumentException.class, "length=" + length,
                    () -> ram.fill(BUF, length, (byte) 1));
        }
        refused(IllegalArgumentException.class, "length=-1", () -> ram.read(BUF, eight, 0, -1));
        refused(IllegalArgumentException.class, "length=-8", () -> ram.write(BUF, eight, 8, -8));
        refused(IllegalArgumentException.class, "length=-1", () -> cpu0.load(BUF, eight, 0, -1));
        refused(IllegalArgumentException.class, "length=" + Integer.MIN_VALUE,
                () -> cpu1.store(BUF, eight, 0, Integer.MIN_VALUE));
        refused(IllegalArgumentException.class, "length=-1", () -> cpu0.zero(BUF, -1));
        cpu1.store(BUF, eight, 0, 8); // the good call
        assertEquals(0, cpu0.loadLong(BUF));
    }

    @Test
    void a_cpu_refuses_an_array_range_out_of_bounds_and_caches_nothing() {
        byte[] eight = {9, 9, 9, 9, 9, 9, 9, 9};
        long cold = BUF + 4096; // no cache holds it
        int[][] bad = {{-1, 4}, {9, 0}, {4, 5}, {Integer.MAX_VALUE, 1}, {Integer.MIN_VALUE, 1}};
        for (int[] r : bad) {
            String named = Integer.toString(r[0] < 0 || r[0] > 8 ? r[0] : r[1]);
            refused(IndexOutOfBoundsException.class, named, () -> cpu0.load(cold, eight, r[0], r[1]));
            refused(IndexOutOfBoundsException.class, named, () -> cpu0.store(BUF, eight, r[0], r[1]));
            assertArrayEquals(new byte[] {9, 9, 9, 9, 9, 9, 9, 9}, eight);
        }
        assertThrows(NullPointerException.class, () -> cpu0.load(cold, null, 0, 1));
        assertThrows(NullPointerException.class, () -> cpu0.store(cold, null, 0, 1));
        cpu0.load(BUF, eight, 0, 8); // the good call: cpu0's dirty word
        assertArrayEquals(new byte[] {0x11, 0x11, 0, 0, 0, 0, 0, 0}, eight);
    }

    @Test
    void a_cpu_refuses_a_range_whose_end_wraps_past_2_pow_63() {
        byte[] eight = new byte[8];
        outside(TOP - 2, 8, () -> cpu0.store(TOP - 2, eight, 0, 8));
        outside(TOP - 2, 8, () -> cpu0.load(TOP - 2, eight, 0, 8));
        outside(TOP - 3, 8, () -> cpu0.loadLong(TOP - 3));
        outside(TOP, 8, () -> cpu0.storeLong(TOP, 1));
        outside(Long.MIN_VALUE, 8, () -> cpu1.storeLong(Long.MIN_VALUE, 1));
        outside(TOP - 7, 8, () -> cpu0.compareAndSwapLong(TOP - 7, 0, 1));
        outside(Long.MIN_VALUE, 1, () -> cpu0.storeByte(Long.MIN_VALUE, (byte) 1));
        outside(TOP, 1, () -> cpu0.loadByte(TOP));
        outside(1, TOP, () -> cpu0.zero(1, TOP));
        outside(TOP, 1, () -> cpu0.zero(TOP, 1));
        outside(TOP, 1, () -> cpu0.isCached(TOP));
        outside(Long.MIN_VALUE, 1, () -> cpu1.isDirty(Long.MIN_VALUE));
        assertEquals(0x3333, cpu1.loadLong(END - 8)); // the good call, snooped from cpu0
    }

    @Test
    void a_misaligned_compare_and_swap_on_a_dirty_line_swaps_nothing() {
        for (long at : new long[] {BUF + 4, BUF + 1, BUF + 7, END - 12}) {
            refused(PhysicalAddressException.class, String.format("0x%x", at),
                    () -> cpu0.compareAndSwapLong(at, 0x1111, 0x9999));
        }
        assertEquals(0x1111, cpu0.compareAndSwapLong(BUF, 0x1111, 0x9999)); // the good call
        assertEquals(0x9999, cpu1.loadLong(BUF));
    }

    @Test
    void zeroing_a_range_partly_past_the_end_zeroes_nothing() {
        outside(END - 64, 128, () -> cpu0.zero(END - 64, 128));
        outside(END, 1, () -> cpu0.zero(END, 1));
        outside(-64, 128, () -> cpu0.zero(-64, 128));
        assertEquals(0x3333, cpu0.loadLong(END - 8));
        cpu0.zero(END - 64, 64); // the good call: the last line
        assertEquals(0, cpu0.loadLong(END - 8));
    }
}

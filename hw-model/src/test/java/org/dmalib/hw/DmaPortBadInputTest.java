package org.dmalib.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.dmalib.hw.cache.CacheMaintenance;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a device model author can pass to a {@link DmaPort} that is wrong, on both kinds of
 * stream: a bad array range is an exception (the device model's bug) that moves and counts
 * nothing; a burst past the end of memory (bus addresses are unsigned: at 2^63 and above too) or
 * wrapping past 2^64 is a bus abort that moves no byte, leaves every cache line as it was and
 * counts one abort.
 */
class DmaPortBadInputTest {
    private static final long MIB = 1L << 20;
    private static final long END = MIB;
    private static final long BUF = 0x10000;
    private static final long TOP = Long.MAX_VALUE;
    private static final int PAGE = 4096;

    private final Machine machine = Machine.create(MachineConfig.of(MIB));
    private final PhysicalMemory ram = machine.memory();
    private final Cpu cpu0 = machine.cpu(0);
    private final Cpu cpu1 = machine.cpu(1);

    /** RAM written near the end, dirty lines in both CPUs there, and a clean in flight. */
    @BeforeEach
    void history() {
        ram.write(END - 2 * PAGE, MachineState.pattern(2 * PAGE, 3), 0, 2 * PAGE);
        cpu0.storeLong(END - PAGE - 64, 0x1111); // the page before the last
        cpu1.storeLong(END - 8, 0x2222); // the last line of memory
        cpu1.loadLong(END - 2 * PAGE);
        cpu0.storeLong(BUF, 0x3333);
        CacheMaintenance.of(cpu0).cleanLine(BUF); // in flight until cpu0's barrier
    }

    private static byte[] filled(int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) 0x77);
        return b;
    }

    /** Asserts that a bad array range throws, naming {@code named}, and changes and counts nothing. */
    private void badArray(DmaPort port, long address, int offset, int length, String named) {
        String before = MachineState.of(machine);
        byte[] eight = filled(8);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> port.read(address, eight, offset, length));
        assertTrue(e.getMessage().contains(named), e.getMessage());
        assertArrayEquals(filled(8), eight);
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> port.write(address, eight, offset, length));
        assertTrue(e.getMessage().contains(named), e.getMessage());
        assertEquals(before, MachineState.of(machine));
    }

    /** Asserts that a burst aborts both ways, moves nothing and counts exactly two aborts. */
    private void aborts(DmaPort port, long address, int length) {
        String before = MachineState.contents(machine);
        HwCounters counted = machine.counters();
        byte[] dst = filled(length);
        assertEquals(DmaStatus.ABORT, port.read(address, dst, 0, length), "read at " + address);
        assertArrayEquals(filled(length), dst, "an aborted read leaves dst as it was");
        assertEquals(DmaStatus.ABORT, port.write(address, MachineState.pattern(length, 9), 0, length),
                "write at " + address);
        assertEquals(before, MachineState.contents(machine), "after the bursts at " + address);
        assertEquals(new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
                machine.counters().minus(counted));
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_bad_array_range_is_an_exception_that_moves_and_counts_nothing(Coherency coherency) {
        DmaPort port = machine.attach(1, coherency);
        badArray(port, BUF, -1, 4, "-1");
        badArray(port, BUF, 0, -1, "-1");
        badArray(port, BUF, 9, 0, "9");
        badArray(port, BUF, 4, 5, "5");
        badArray(port, BUF, 1, Integer.MAX_VALUE, Integer.toString(Integer.MAX_VALUE));
        badArray(port, BUF, Integer.MIN_VALUE, 1, Integer.toString(Integer.MIN_VALUE));
        // the array is checked first: a bad array with a bad address is still the device's bug
        badArray(port, END, 0, 9, "9");
        badArray(port, -1, -1, 1, "-1");
        assertThrows(NullPointerException.class, () -> port.read(BUF, null, 0, 1));
        assertThrows(NullPointerException.class, () -> port.write(BUF, null, 0, 0));
        assertEquals(HwCounters.ZERO.dmaAborts(), machine.counters().dmaAborts());
        assertTrue(port.write(BUF + 64, new byte[] {1}, 0, 1).ok()); // the good call
        assertEquals(1, ram.readByte(BUF + 64));
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_burst_crossing_the_end_of_memory_moves_no_byte_of_the_pages_inside(Coherency c) {
        DmaPort port = machine.attach(1, c);
        aborts(port, END - 2 * PAGE, 2 * PAGE + 1); // two whole pages inside, one byte past
        aborts(port, END - PAGE - 64, PAGE + 65); // from a dirty line, over the last page
        aborts(port, END - 8, 9); // the last word and one byte: one page piece
        aborts(port, END - 1, 2);
        aborts(port, END, 1);
        aborts(port, END + PAGE, PAGE);
        // the dirty lines are still there, holding what the CPUs stored
        assertTrue(cpu0.isDirty(END - PAGE - 64));
        assertTrue(cpu1.isDirty(END - 8));
        byte[] last = new byte[8];
        assertTrue(port.read(END - 8, last, 0, 8).ok()); // the good call, the last 8 bytes
        byte[] want = c == Coherency.COHERENT ? new byte[] {0x22, 0x22, 0, 0, 0, 0, 0, 0}
                : Arrays.copyOfRange(MachineState.pattern(2 * PAGE, 3), 2 * PAGE - 8, 2 * PAGE);
        assertArrayEquals(want, last);
        assertEquals(0x2222, cpu0.loadLong(END - 8));
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_burst_at_2_pow_63_or_above_or_wrapping_past_2_pow_64_aborts(Coherency c) {
        DmaPort port = machine.attach(1, c);
        aborts(port, -8, 8); // the last 8 bytes below 2^64
        aborts(port, -PAGE, 2 * PAGE); // wraps past 2^64 into the first page of memory
        aborts(port, -8, 16); // wraps by 8 bytes
        aborts(port, Long.MIN_VALUE, 1); // 2^63
        aborts(port, TOP, 1);
        aborts(port, TOP - 3, 8); // across 2^63
        aborts(port, TOP - PAGE + 1, PAGE); // ends exactly at 2^63
        aborts(port, TOP - Integer.MAX_VALUE, Integer.MAX_VALUE >>> 8); // 2048 pages, far out
        assertTrue(port.write(0, new byte[] {4}, 0, 1).ok()); // the good call, at 0
        assertEquals(4, ram.readByte(0));
    }
}

package org.dmalib.arch.coherency.internal.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.PhysicalAddressException;
import org.dmalib.hw.cache.CacheMaintenance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DcacheMaintenanceTest {
    private static final long MIB = 1L << 20;
    private static final long BUF = 0x40000;

    private final Machine machine = Machine.create(MachineConfig.of(MIB));
    private final Cpu cpu = machine.cpu(0);
    private final DcacheMaintenance dc = DcacheMaintenance.on(cpu);

    private HwCounters delta(Runnable r) {
        HwCounters before = machine.counters();
        r.run();
        return machine.counters().minus(before);
    }

    @Test
    void clean_covers_every_line_touched_by_the_range_and_completes_once() {
        cpu.store(BUF + 10, new byte[200], 0, 200); // lines 0..3 of BUF
        HwCounters d = delta(() -> dc.cleanPoc(BUF + 10, 200));
        assertEquals(4, d.linesCleaned());
        assertEquals(1, d.barriers());
        assertFalse(cpu.isDirty(BUF + 10));
        assertFalse(cpu.isDirty(BUF + 209));
    }

    @Test
    void invalidate_cleans_partial_lines_at_both_ends_and_invalidates_the_rest() {
        // neighbour data shares the first and last line of the buffer
        byte[] neighbour = {42};
        cpu.store(BUF + 5, neighbour, 0, 1);
        cpu.store(BUF + 64 * 3 + 60, neighbour, 0, 1);
        cpu.storeLong(BUF + 64, 99); // a whole line inside the buffer: discarded
        HwCounters d = delta(() -> dc.invalidatePoc(BUF + 8, 64 * 3 + 50));
        assertEquals(2, d.linesCleanInvalidated());
        assertEquals(2, d.linesInvalidated());
        assertEquals(1, d.barriers());
        // the neighbours' bytes survived in RAM; the whole inner line's dirty data did not
        assertEquals(42, machine.memory().readByte(BUF + 5));
        assertEquals(42, machine.memory().readByte(BUF + 64 * 3 + 60));
        assertEquals(0, machine.memory().readLong(BUF + 64));
        assertFalse(cpu.isCached(BUF + 64));
    }

    @Test
    void an_aligned_invalidate_uses_no_clean() {
        HwCounters d = delta(() -> dc.invalidatePoc(BUF, 256));
        assertEquals(4, d.linesInvalidated());
        assertEquals(0, d.linesCleanInvalidated());
    }

    @Test
    void a_range_inside_one_line_gets_cache_S_two_clean_and_invalidates() {
        // cache.S: DC CIVAC for the unaligned end's line, then again for the unaligned start's
        HwCounters d = delta(() -> dc.invalidatePocNoSync(BUF + 4, 8));
        assertEquals(2, d.linesCleanInvalidated());
        assertEquals(0, d.linesInvalidated());
        assertEquals(0, d.barriers());
    }

    @Test
    void no_sync_forms_issue_no_barrier_so_a_list_costs_one() {
        HwCounters d = delta(() -> {
            for (int i = 0; i < 5; i++) {
                dc.cleanPocNoSync(BUF + i * 4096L, 128);
                dc.cleanInvalidatePocNoSync(BUF + i * 4096L + 1024, 64);
            }
            dc.complete();
        });
        assertEquals(10, d.linesCleaned());
        assertEquals(5, d.linesCleanInvalidated());
        assertEquals(1, d.barriers());
    }

    @Test
    void without_the_completing_barrier_ram_is_not_yet_written() {
        cpu.store(BUF, new byte[] {1, 2, 3}, 0, 3);
        dc.cleanPocNoSync(BUF, 3);
        assertEquals(0, machine.memory().readByte(BUF));
        dc.complete();
        byte[] ram = new byte[3];
        machine.memory().read(BUF, ram, 0, 3);
        assertArrayEquals(new byte[] {1, 2, 3}, ram);
    }

    @Test
    void zero_size_does_nothing_and_negative_size_is_refused() {
        HwCounters d = delta(() -> {
            dc.cleanPocNoSync(BUF, 0);
            dc.invalidatePocNoSync(BUF, 0);
            dc.cleanInvalidatePocNoSync(BUF, 0);
        });
        assertEquals(0, d.linesCleaned() + d.linesInvalidated() + d.linesCleanInvalidated());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> dc.cleanPoc(BUF, -1));
        assertTrue(e.getMessage().contains("size=-1"), e.getMessage());
    }

    /**
     * {@code dcache_inval_poc} of cache.S, instruction by instruction (x0 the start, x1 the end,
     * x3 the line mask): what the range operations must stay equal to, order and count.
     */
    private static void invalidateByLine(CacheMaintenance m, long paddr, long size) {
        long x3 = m.lineSize() - 1L;
        long x0 = paddr;
        long x1 = paddr + size;
        boolean endAligned = (x1 & x3) == 0; // tst x1, x3
        x1 &= ~x3; // bic x1, x1, x3
        if (!endAligned) {
            m.cleanInvalidateLine(x1); // dc civac, x1
        }
        boolean startAligned = (x0 & x3) == 0; // 1: tst x0, x3
        x0 &= ~x3; // bic x0, x0, x3
        if (startAligned) {
            m.invalidateLine(x0); // 2: dc ivac, x0
        } else {
            m.cleanInvalidateLine(x0); // dc civac, x0; b 3f
        }
        for (x0 += x3 + 1; x0 < x1; x0 += x3 + 1) { // 3: add x0, x0, x2; cmp x0, x1; b.lo 2b
            m.invalidateLine(x0); // 2: dc ivac, x0
        }
    }

    /** Dirty lines in both CPUs, stale lines under a device write, one write-back in flight. */
    private static Machine prepared() {
        Machine m = Machine.create(MachineConfig.of(MIB));
        DmaPort device = m.attach(1, Coherency.NON_COHERENT);
        for (long a = BUF - 128; a < BUF + 1024; a += 24) {
            m.cpu((int) ((a / 24) & 1)).storeLong(a, a * 31);
        }
        m.cpu(1).loadLong(BUF + 2048);
        if (!device.write(BUF + 2048, new byte[] {9}, 0, 1).ok()) {
            throw new AssertionError("device write aborted");
        }
        CacheMaintenance.of(m.cpu(1)).cleanLine(BUF + 64); // in flight until cpu1's barrier
        return m;
    }

    private static String state(Machine m) {
        StringBuilder b = new StringBuilder();
        for (long line = BUF - 128; line < BUF + 2112; line += 64) {
            for (int c = 0; c < 2; c++) {
                b.append(m.cpu(c).isDirty(line) ? 'D' : m.cpu(c).isCached(line) ? 'c' : '.');
            }
            b.append(Long.toHexString(m.memory().readLong(line))).append(' ');
            b.append(Long.toHexString(m.memory().readLong(line + 56))).append('\n');
        }
        return b.append(m.writebacksInFlight()).append(m.counters()).toString();
    }

    @ParameterizedTest(name = "[BUF+{0}, +{1})")
    @CsvSource({"0, 1024", "8, 1000", "0, 1000", "8, 1016", "4, 8", "60, 8", "-100, 2200", "64, 64",
        "8, 56", "0, 40", "8, 120", "0, 100"})
    void invalidate_issues_what_the_per_line_loop_issues(long off, long size) {
        Machine byRange = prepared();
        Machine byLine = prepared();
        DcacheMaintenance.on(byRange.cpu(0)).invalidatePoc(BUF + off, size);
        CacheMaintenance line = CacheMaintenance.of(byLine.cpu(0));
        invalidateByLine(line, BUF + off, size);
        line.barrier();
        assertEquals(state(byLine), state(byRange));
        CacheMaintenance.of(byRange.cpu(1)).barrier();
        CacheMaintenance.of(byLine.cpu(1)).barrier();
        assertEquals(state(byLine), state(byRange), "after the other CPU's barrier");
    }

    @Test
    void a_batching_view_issues_at_complete_what_the_immediate_view_issues() {
        Machine batched = prepared();
        Machine immediate = prepared();
        DcacheMaintenance b = DcacheMaintenance.on(batched.cpu(0)).batching(1);
        DcacheMaintenance now = DcacheMaintenance.on(immediate.cpu(0));
        String untouched = state(batched);
        // partial lines, whole lines, one-line and in-line ranges, every kind
        long[][] ranges = {{8, 1000}, {1030, 50}, {1088, 64}, {2000, 100}, {-100, 40}};
        for (long[] r : ranges) {
            b.invalidatePocNoSync(BUF + r[0], r[1]);
            now.invalidatePocNoSync(BUF + r[0], r[1]);
        }
        b.cleanPocNoSync(BUF + 4, 300);
        now.cleanPocNoSync(BUF + 4, 300);
        b.cleanInvalidatePocNoSync(BUF + 1500, 200);
        now.cleanInvalidatePocNoSync(BUF + 1500, 200);
        assertEquals(untouched, state(batched), "a batching view issues nothing before complete");
        assertThrows(PhysicalAddressException.class, () -> b.cleanPocNoSync(MIB - 64, 65));
        b.complete();
        now.complete();
        assertEquals(state(immediate), state(batched));
        CacheMaintenance.of(batched.cpu(1)).barrier();
        CacheMaintenance.of(immediate.cpu(1)).barrier();
        assertEquals(state(immediate), state(batched), "after the other CPU's barrier");
    }

    @Test
    void a_batching_view_made_from_the_cpu_issues_what_the_immediate_view_issues() {
        Machine batched = prepared();
        Machine immediate = prepared();
        DcacheMaintenance b = DcacheMaintenance.batchingOn(batched.cpu(0), 2);
        DcacheMaintenance now = DcacheMaintenance.on(immediate.cpu(0));
        String untouched = state(batched);
        // whole lines (one range each) and a partial one, past the room made for two ranges
        long[][] ranges = {{0, 512}, {640, 128}, {1000, 100}};
        for (long[] r : ranges) {
            b.invalidatePocNoSync(BUF + r[0], r[1]);
            now.invalidatePocNoSync(BUF + r[0], r[1]);
        }
        b.cleanPocNoSync(BUF + 1500, 256);
        now.cleanPocNoSync(BUF + 1500, 256);
        assertEquals(untouched, state(batched), "a batching view issues nothing before complete");
        // whole lines past the end of memory: refused before anything is recorded or issued
        assertThrows(PhysicalAddressException.class, () -> b.invalidatePocNoSync(MIB - 64, 128));
        assertThrows(PhysicalAddressException.class, () -> now.invalidatePocNoSync(MIB - 64, 128));
        b.complete();
        now.complete();
        assertEquals(state(immediate), state(batched));
    }

    @ParameterizedTest(name = "[BUF+{0}, +{1})")
    @CsvSource({"0, 1024", "8, 1000", "4, 8", "-100, 2200"})
    void clean_and_clean_invalidate_issue_what_the_per_line_loop_issues(long off, long size) {
        Machine byRange = prepared();
        Machine byLine = prepared();
        DcacheMaintenance.on(byRange.cpu(0)).cleanPoc(BUF + off, size);
        DcacheMaintenance.on(byRange.cpu(0)).cleanInvalidatePoc(BUF + off + 512, size);
        CacheMaintenance line = CacheMaintenance.of(byLine.cpu(0));
        for (long a = (BUF + off) & -64; a < BUF + off + size; a += 64) {
            line.cleanLine(a);
        }
        line.barrier();
        for (long a = (BUF + off + 512) & -64; a < BUF + off + 512 + size; a += 64) {
            line.cleanInvalidateLine(a);
        }
        line.barrier();
        assertEquals(state(byLine), state(byRange));
    }

    @Test
    void a_range_reaching_outside_memory_is_refused_before_any_line_is_maintained() {
        cpu.storeLong(MIB - 128, 1);
        cpu.storeLong(MIB - 64, 2);
        HwCounters before = machine.counters();
        assertThrows(PhysicalAddressException.class, () -> dc.cleanPoc(MIB - 128, 129));
        assertThrows(PhysicalAddressException.class, () -> dc.invalidatePoc(MIB - 120, 200));
        assertThrows(PhysicalAddressException.class, () -> dc.invalidatePocNoSync(MIB - 64, 65));
        assertThrows(PhysicalAddressException.class, () -> dc.cleanInvalidatePoc(MIB - 64, 65));
        assertThrows(PhysicalAddressException.class,
                () -> dc.invalidatePoc(Long.MAX_VALUE - 100, 200)); // the end would overflow
        assertEquals(before, machine.counters());
        assertTrue(cpu.isDirty(MIB - 128));
        assertTrue(cpu.isDirty(MIB - 64));
        assertEquals(0, machine.writebacksInFlight());
    }

    @Test
    void every_operation_refuses_a_negative_size_by_name_and_maintains_nothing() {
        cpu.storeLong(BUF, 7);
        DcacheMaintenance batching = dc.batching(4);
        HwCounters d = delta(() -> {
            for (DcacheMaintenance view : new DcacheMaintenance[] {dc, batching}) {
                Runnable[] ops = {
                    () -> view.cleanPocNoSync(BUF, -64),
                    () -> view.invalidatePocNoSync(BUF, -64),
                    () -> view.invalidatePocNoSync(BUF + 8, -8),
                    () -> view.cleanInvalidatePocNoSync(BUF, -64),
                    () -> view.cleanPoc(BUF, -64),
                    () -> view.invalidatePoc(BUF, -64),
                    () -> view.cleanInvalidatePoc(BUF, -64),
                };
                for (Runnable op : ops) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, op::run);
                    assertTrue(e.getMessage().startsWith("size=-"), e.getMessage());
                }
            }
            batching.complete(); // nothing was recorded: only the barrier
        });
        assertEquals(0, d.linesCleaned() + d.linesInvalidated() + d.linesCleanInvalidated());
        assertTrue(cpu.isDirty(BUF));
    }

    @Test
    void zero_size_does_nothing_at_any_alignment_or_address() {
        cpu.storeLong(BUF, 7);
        DcacheMaintenance batching = dc.batching(4);
        HwCounters d = delta(() -> {
            for (DcacheMaintenance view : new DcacheMaintenance[] {dc, batching}) {
                // inside a dirty line, and past the end of memory: no line is touched
                for (long paddr : new long[] {BUF + 8, MIB + 4096}) {
                    view.cleanPocNoSync(paddr, 0);
                    view.invalidatePocNoSync(paddr, 0);
                    view.cleanInvalidatePocNoSync(paddr, 0);
                }
            }
            batching.complete();
        });
        assertEquals(0, d.linesCleaned() + d.linesInvalidated() + d.linesCleanInvalidated());
        assertTrue(cpu.isDirty(BUF));
        assertEquals(0, machine.memory().readLong(BUF));
    }

    @Test
    void a_range_ending_on_a_line_boundary_cleans_only_its_partial_first_line() {
        byte[] neighbour = {42};
        cpu.store(BUF + 64 + 3, neighbour, 0, 1); // shares the buffer's first line
        HwCounters d = delta(() -> dc.invalidatePoc(BUF + 64 + 8, 56));
        assertEquals(1, d.linesCleanInvalidated());
        assertEquals(0, d.linesInvalidated());
        assertEquals(42, machine.memory().readByte(BUF + 64 + 3));
        assertFalse(cpu.isCached(BUF + 64));
    }

    @Test
    void a_range_starting_on_a_line_boundary_cleans_only_its_partial_last_line() {
        byte[] neighbour = {42};
        cpu.store(BUF + 64 + 50, neighbour, 0, 1); // shares the buffer's only line
        HwCounters d = delta(() -> dc.invalidatePoc(BUF + 64, 40));
        assertEquals(1, d.linesCleanInvalidated());
        // cache.S enters its DC IVAC loop once for an aligned start, on the line just cleaned
        assertEquals(1, d.linesInvalidated());
        assertEquals(42, machine.memory().readByte(BUF + 64 + 50));
    }

    @Test
    void the_partial_line_rule_follows_the_machines_line_size() {
        Machine wide = Machine.create(new MachineConfig(MIB, 1, new CacheGeometry(128, 64 * 1024, 4)));
        Cpu c = wide.cpu(0);
        DcacheMaintenance m = DcacheMaintenance.on(c);
        assertEquals(128, m.lineSize());
        assertEquals(128, m.batching(1).lineSize());
        byte[] neighbour = {42};
        c.store(BUF + 10, neighbour, 0, 1); // in the first half of a 128-byte line
        HwCounters before = wide.counters();
        // 64-byte aligned but half of a 128-byte line: a partial line, cleaned before it is dropped
        m.invalidatePoc(BUF + 64, 64);
        HwCounters d = wide.counters().minus(before);
        assertEquals(1, d.linesCleanInvalidated());
        assertEquals(0, d.linesInvalidated());
        assertEquals(42, wide.memory().readByte(BUF + 10));
        assertFalse(c.isCached(BUF));
    }
}

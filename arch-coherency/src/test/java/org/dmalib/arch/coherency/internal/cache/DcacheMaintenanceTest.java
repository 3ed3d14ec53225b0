package org.dmalib.arch.coherency.internal.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Cpu;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.junit.jupiter.api.Test;

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
    void a_range_inside_one_line_is_cleaned_and_invalidated_once() {
        HwCounters d = delta(() -> dc.invalidatePocNoSync(BUF + 4, 8));
        assertEquals(1, d.linesCleanInvalidated());
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
}

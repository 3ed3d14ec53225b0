package org.dmalib.hw.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.PhysicalAddressException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The range instructions against the per-line ones they stand for: two machines driven into the
 * same state, one maintained by range, the other line by line, must agree on everything
 * observable, before and after the barriers.
 */
class CacheMaintenanceRangeTest {
    private static final long MIB = 1L << 20;
    private static final int LINE = 64;
    private static final long WINDOW = 0x10000;
    // three 4 KiB pages, far more lines than a small cache holds: evictions and sparse regions
    private static final int WINDOW_BYTES = 3 * 4096;
    private static final int CPUS = 4;
    // 16 sets of 2 ways: 32 lines per CPU, so the history evicts and refills constantly
    private static final CacheGeometry SMALL = new CacheGeometry(LINE, 2048, 2);

    enum Op { CLEAN, INVALIDATE, CLEAN_INVALIDATE }

    /** One machine of a pair, with its instructions and a device that bypasses the caches. */
    private static final class Rig {
        final Machine machine = Machine.create(new MachineConfig(MIB, CPUS, SMALL));
        final DmaPort device = machine.attach(1, Coherency.NON_COHERENT);
        final List<CacheMaintenance> dc = new ArrayList<>();

        Rig(long seed) {
            for (int i = 0; i < CPUS; i++) {
                dc.add(CacheMaintenance.of(machine.cpu(i)));
            }
            history(seed);
        }

        /**
         * Dirty and clean copies in several CPUs, stale lines under device writes, and
         * write-backs in flight from several CPUs, all from a seeded history.
         */
        private void history(long seed) {
            Random r = new Random(seed);
            for (int step = 0; step < 600; step++) {
                Cpu cpu = machine.cpu(r.nextInt(CPUS));
                long a = WINDOW + r.nextInt(WINDOW_BYTES / Long.BYTES) * (long) Long.BYTES;
                switch (r.nextInt(6)) {
                    case 0, 1 -> cpu.storeLong(a, r.nextLong());
                    case 2 -> cpu.loadLong(a);
                    case 3 -> dc.get(cpu.id()).cleanLine(a);
                    case 4 -> assertTrue(device.write(a, new byte[] {(byte) r.nextInt()}, 0, 1).ok());
                    default -> {
                        if (r.nextInt(4) == 0) {
                            dc.get(cpu.id()).barrier();
                        }
                    }
                }
            }
        }

        void range(Op op, int cpu, long paddr, long length) {
            CacheMaintenance m = dc.get(cpu);
            switch (op) {
                case CLEAN -> m.cleanRange(paddr, length);
                case INVALIDATE -> m.invalidateRange(paddr, length);
                case CLEAN_INVALIDATE -> m.cleanInvalidateRange(paddr, length);
            }
        }

        void perLine(Op op, int cpu, long paddr, long length) {
            CacheMaintenance m = dc.get(cpu);
            for (long line = paddr & -LINE; line < paddr + length; line += LINE) {
                switch (op) {
                    case CLEAN -> m.cleanLine(line);
                    case INVALIDATE -> m.invalidateLine(line);
                    case CLEAN_INVALIDATE -> m.cleanInvalidateLine(line);
                }
            }
        }

        /** Everything observable without changing any cache: presence, dirt, RAM, counters. */
        String state() {
            StringBuilder b = new StringBuilder();
            for (long line = WINDOW - LINE; line < WINDOW + WINDOW_BYTES + LINE; line += LINE) {
                for (int c = 0; c < CPUS; c++) {
                    Cpu cpu = machine.cpu(c);
                    b.append(cpu.isDirty(line) ? 'D' : cpu.isCached(line) ? 'c' : '.');
                }
                b.append(' ').append(Long.toHexString(machine.memory().readLong(line)));
                b.append(' ').append(Long.toHexString(machine.memory().readLong(line + 56)));
                b.append('\n');
            }
            return b.append(machine.writebacksInFlight()).append(' ')
                    .append(machine.counters()).toString();
        }

        /** What every CPU loads from every word of the window (changes the caches). */
        String views() {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < CPUS; c++) {
                for (long a = WINDOW; a < WINDOW + WINDOW_BYTES; a += Long.BYTES) {
                    b.append(Long.toHexString(machine.cpu(c).loadLong(a))).append(' ');
                }
                b.append('\n');
            }
            return b.toString();
        }
    }

    @ParameterizedTest(name = "{0} from cpu{1} of [window+{2}, +{3})")
    @CsvSource({
        "CLEAN, 0, 10, 300", // partial lines at both ends
        "INVALIDATE, 1, 10, 300",
        "CLEAN_INVALIDATE, 2, 10, 300",
        "CLEAN, 3, 3996, 200", // straddles a page boundary (a region edge)
        "INVALIDATE, 0, 3996, 200",
        "CLEAN_INVALIDATE, 1, 3996, 200",
        "CLEAN, 2, 0, 12288", // the whole window, aligned: every region
        "INVALIDATE, 3, 0, 12288",
        "CLEAN_INVALIDATE, 0, 0, 12288",
        "CLEAN, 1, 4159, 1", // one byte
        "INVALIDATE, 2, 8191, 2", // two bytes, two lines
        "CLEAN_INVALIDATE, 3, 128, 64", // exactly one line
    })
    void a_range_is_the_per_line_instructions_in_address_order(Op op, int cpu, long off, long len) {
        for (long seed = 1; seed <= 3; seed++) {
            Rig byRange = new Rig(seed);
            Rig byLine = new Rig(seed);
            assertEquals(byLine.state(), byRange.state(), "same history, same state");
            byRange.range(op, cpu, WINDOW + off, len);
            byLine.perLine(op, cpu, WINDOW + off, len);
            assertEquals(byLine.state(), byRange.state(), "after the maintenance");
            byRange.dc.get(cpu).barrier();
            byLine.dc.get(cpu).barrier();
            assertEquals(byLine.state(), byRange.state(), "after the issuer's barrier");
            for (int c = 0; c < CPUS; c++) {
                byRange.dc.get(c).barrier();
                byLine.dc.get(c).barrier();
            }
            assertEquals(byLine.state(), byRange.state(), "after every barrier");
            assertEquals(byLine.views(), byRange.views(), "what the CPUs load");
        }
    }

    @Test
    void a_batch_is_its_ranges_issued_one_after_another() {
        for (long seed = 1; seed <= 3; seed++) {
            Rig byBatch = new Rig(seed);
            Rig byRange = new Rig(seed);
            String untouched = byBatch.state();
            int cpu = (int) seed;
            MaintenanceBatch batch = byBatch.dc.get(cpu).batch(2); // grows past its capacity
            Random r = new Random(seed * 31);
            for (int i = 0; i < 12; i++) {
                Op op = Op.values()[r.nextInt(3)];
                long off = r.nextInt(WINDOW_BYTES - 1);
                long len = 1L + r.nextInt((int) Math.min(700, WINDOW_BYTES - off));
                switch (op) {
                    case CLEAN -> batch.clean(WINDOW + off, len);
                    case INVALIDATE -> batch.invalidate(WINDOW + off, len);
                    case CLEAN_INVALIDATE -> batch.cleanInvalidate(WINDOW + off, len);
                }
                byRange.range(op, cpu, WINDOW + off, len);
            }
            assertEquals(12, batch.size());
            assertEquals(untouched, byBatch.state(), "recording issues nothing");
            byBatch.dc.get(cpu).issue(batch);
            assertEquals(0, batch.size(), "issued and emptied");
            assertEquals(byRange.state(), byBatch.state(), "after the batch");
            byBatch.dc.get(cpu).issue(batch);
            assertEquals(byRange.state(), byBatch.state(), "an empty batch issues nothing");
            for (int c = 0; c < CPUS; c++) {
                byBatch.dc.get(c).barrier();
                byRange.dc.get(c).barrier();
            }
            assertEquals(byRange.state(), byBatch.state(), "after every barrier");
            assertEquals(byRange.views(), byBatch.views(), "what the CPUs load");
        }
    }

    @Test
    void a_batch_refuses_a_bad_range_as_it_is_added_and_belongs_to_its_cpu() {
        Rig rig = new Rig(7);
        MaintenanceBatch batch = rig.dc.get(0).batch(4);
        batch.clean(WINDOW, LINE);
        assertThrows(PhysicalAddressException.class, () -> batch.invalidate(MIB - LINE, 2 * LINE));
        assertThrows(IllegalArgumentException.class, () -> batch.cleanInvalidate(WINDOW, -1));
        batch.clean(WINDOW, 0);
        assertEquals(1, batch.size(), "only the good, non-empty range is recorded");
        String before = rig.state();
        assertThrows(IllegalArgumentException.class, () -> rig.dc.get(1).issue(batch));
        assertEquals(before, rig.state(), "another CPU's instructions issue nothing of it");
        assertEquals(1, batch.size());
    }

    @Test
    void a_range_clean_puts_every_dirty_line_in_flight_until_the_issuers_barrier() {
        Machine m = Machine.create(new MachineConfig(MIB, 3, CacheGeometry.DEFAULT));
        m.cpu(1).storeLong(WINDOW + 8, 11); // first line, dirty in cpu1
        m.cpu(2).storeLong(WINDOW + 4096 + 64, 22); // another page, dirty in cpu2
        m.cpu(0).loadLong(WINDOW + 128); // a clean copy: nothing to write back
        CacheMaintenance dc0 = CacheMaintenance.of(m.cpu(0));
        HwCounters before = m.counters();
        dc0.cleanRange(WINDOW + 8, 4096 + 64 + 1);
        HwCounters d = m.counters().minus(before);
        assertEquals(66, d.linesCleaned()); // every line touched, found or not
        assertEquals(0, d.writebacks()); // maintenance write-backs are not evictions
        assertEquals(2, m.writebacksInFlight());
        assertFalse(m.cpu(1).isDirty(WINDOW) || m.cpu(2).isDirty(WINDOW + 4096 + 64));
        assertTrue(m.cpu(0).isCached(WINDOW + 128));
        assertEquals(0, m.memory().readLong(WINDOW + 8)); // not before the barrier
        CacheMaintenance.of(m.cpu(1)).barrier(); // another CPU's barrier completes nothing
        assertEquals(2, m.writebacksInFlight());
        dc0.barrier();
        assertEquals(0, m.writebacksInFlight());
        assertEquals(11, m.memory().readLong(WINDOW + 8));
        assertEquals(22, m.memory().readLong(WINDOW + 4096 + 64));
    }

    @Test
    void a_range_invalidate_discards_dirty_lines_and_counts_every_line() {
        Machine m = Machine.create(MachineConfig.of(MIB));
        m.cpu(1).storeLong(WINDOW + 64, 5);
        HwCounters before = m.counters();
        CacheMaintenance.of(m.cpu(0)).invalidateRange(WINDOW + 1, 2 * LINE);
        HwCounters d = m.counters().minus(before);
        assertEquals(3, d.linesInvalidated());
        assertFalse(m.cpu(1).isCached(WINDOW + 64));
        assertEquals(0, m.writebacksInFlight());
        assertEquals(0, m.cpu(0).loadLong(WINDOW + 64));
    }

    @Test
    void bad_ranges_are_refused_with_nothing_maintained_or_counted() {
        Machine m = Machine.create(MachineConfig.of(MIB));
        CacheMaintenance dc = CacheMaintenance.of(m.cpu(0));
        m.cpu(0).storeLong(MIB - LINE, 1); // the last line, dirty: a partial run would clean it
        m.cpu(0).storeLong(0, 2);
        HwCounters before = m.counters();
        PhysicalAddressException outside =
                assertThrows(PhysicalAddressException.class, () -> dc.cleanRange(MIB - LINE, 2 * LINE));
        assertTrue(outside.getMessage().contains("length=128"), outside.getMessage());
        assertThrows(PhysicalAddressException.class, () -> dc.cleanInvalidateRange(MIB - LINE, LINE + 1));
        assertThrows(PhysicalAddressException.class, () -> dc.invalidateRange(-LINE, 2 * LINE));
        assertThrows(PhysicalAddressException.class,
                () -> dc.cleanRange(Long.MAX_VALUE - 8, 64)); // the end would overflow
        IllegalArgumentException negative =
                assertThrows(IllegalArgumentException.class, () -> dc.invalidateRange(0, -1));
        assertTrue(negative.getMessage().contains("length=-1"), negative.getMessage());
        assertEquals(before, m.counters());
        assertTrue(m.cpu(0).isDirty(MIB - LINE));
        assertTrue(m.cpu(0).isDirty(0));
        assertEquals(0, m.writebacksInFlight());
    }

    @Test
    void an_empty_range_touches_no_line() {
        Machine m = Machine.create(MachineConfig.of(MIB));
        CacheMaintenance dc = CacheMaintenance.of(m.cpu(0));
        m.cpu(0).storeLong(WINDOW, 3);
        HwCounters before = m.counters();
        dc.cleanRange(WINDOW + 4, 0);
        dc.invalidateRange(WINDOW + 4, 0);
        dc.cleanInvalidateRange(MIB, 0); // the end of memory: an empty range is inside
        assertEquals(before, m.counters());
        assertTrue(m.cpu(0).isDirty(WINDOW));
    }

    @Test
    void a_cpu_keeps_one_set_of_instructions() {
        Machine m = Machine.create(MachineConfig.of(MIB));
        assertSame(CacheMaintenance.of(m.cpu(1)), CacheMaintenance.of(m.cpu(1)));
        assertEquals(1, CacheMaintenance.of(m.cpu(1)).cpu());
    }
}

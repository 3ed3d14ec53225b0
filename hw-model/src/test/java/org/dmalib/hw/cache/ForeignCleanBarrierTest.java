package org.dmalib.hw.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * A DSB completes the issuing CPU's cleans even when another CPU has cleaned the same line since:
 * two CPUs writing neighbouring PTEs of one cache line for a non-coherent walker (two threads
 * mapping adjacent pages) each rely on their own clean and barrier alone.
 */
class ForeignCleanBarrierTest {
    private static final long MIB = 1L << 20;
    private static final long LINE = 0x4_0000; // a 64-byte line no one else touches

    private final Machine machine = Machine.create(new MachineConfig(MIB, 2, CacheGeometry.DEFAULT));
    private final PhysicalMemory ram = machine.memory();
    private final Cpu a = machine.cpu(0);
    private final Cpu b = machine.cpu(1);
    private final CacheMaintenance dcA = CacheMaintenance.of(a);
    private final CacheMaintenance dcB = CacheMaintenance.of(b);

    @Test
    void a_barrier_completes_its_own_clean_though_another_cpu_cleaned_the_line_since() {
        a.storeLong(LINE, 0x1111);
        dcA.cleanLine(LINE);
        // between CPU 0's clean and its barrier: CPU 1 writes the next word and cleans the line
        b.storeLong(LINE + 8, 0x2222);
        dcB.cleanLine(LINE);
        dcA.barrier();
        assertEquals(0x1111, ram.readLong(LINE), "CPU 0's DSB must complete CPU 0's clean");
        dcB.barrier();
        assertEquals(0x1111, ram.readLong(LINE));
        assertEquals(0x2222, ram.readLong(LINE + 8), "CPU 1's DSB completes CPU 1's clean");
        assertEquals(0, machine.writebacksInFlight());
    }

    @Test
    void a_clean_in_flight_cleaned_again_by_another_cpu_stays_in_flight_for_the_second() {
        a.storeLong(LINE, 0x1111);
        dcA.cleanLine(LINE);
        b.storeLong(LINE + 8, 0x2222);
        dcB.cleanLine(LINE);
        dcA.barrier();
        assertEquals(0, ram.readLong(LINE + 8), "CPU 1's write-back waits for CPU 1's barrier");
        assertEquals(1, machine.writebacksInFlight());
    }

    @Test
    void a_cpu_cleaning_its_own_line_again_keeps_one_write_back_in_flight() {
        a.storeLong(LINE, 0x1111);
        dcA.cleanLine(LINE);
        a.storeLong(LINE + 8, 0x2222);
        dcA.cleanLine(LINE);
        assertEquals(1, machine.writebacksInFlight());
        assertEquals(0, ram.readLong(LINE), "nothing reaches RAM before the barrier");
        dcA.barrier();
        assertEquals(0x1111, ram.readLong(LINE));
        assertEquals(0x2222, ram.readLong(LINE + 8));
    }

    @Test
    void a_clean_of_a_line_another_cpu_wrote_and_cleaned_completes_at_this_cpus_barrier() {
        // the loser of a PTE install race cleans the winner's entry instead of waiting for it
        a.storeLong(LINE, 0x1111);
        dcA.cleanLine(LINE); // CPU 0's write-back in flight, its barrier not yet issued
        assertEquals(0x1111, b.loadLong(LINE), "CPU 1 observes CPU 0's store");
        dcB.cleanLine(LINE); // no cache holds the line dirty now
        dcB.barrier();
        assertEquals(0x1111, ram.readLong(LINE),
                "CPU 1's clean and DSB make the store it observed visible in RAM");
        assertEquals(0, machine.writebacksInFlight());
    }

    @Test
    void a_range_clean_completes_another_cpus_write_back_in_its_range_and_no_other() {
        a.storeLong(LINE, 0x1111);
        a.storeLong(LINE + 0x1000, 0x3333);
        dcA.cleanLine(LINE);
        dcA.cleanLine(LINE + 0x1000);
        dcB.cleanRange(LINE - 64, 3 * 64);
        dcB.barrier();
        assertEquals(0x1111, ram.readLong(LINE));
        assertEquals(0, ram.readLong(LINE + 0x1000), "outside CPU 1's range: CPU 0's barrier");
        dcA.barrier();
        assertEquals(0x3333, ram.readLong(LINE + 0x1000));
    }
}

package org.dmalib.hw.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.PhysicalAddressException;
import org.dmalib.hw.internal.CpuCore;
import org.junit.jupiter.api.Test;

class CacheMaintenanceTest {
    private static final long MIB = 1L << 20;
    private static final long BUF = 0x20000;

    private final Machine machine = Machine.create(MachineConfig.of(MIB));
    private final Cpu cpu0 = machine.cpu(0);
    private final Cpu cpu1 = machine.cpu(1);
    private final CacheMaintenance dc0 = CacheMaintenance.of(cpu0);

    @Test
    void clean_reaches_ram_only_at_the_barrier() {
        DmaPort device = machine.attach(1, Coherency.NON_COHERENT);
        cpu0.storeLong(BUF, 5);
        dc0.cleanLine(BUF);
        assertFalse(cpu0.isDirty(BUF));
        assertTrue(cpu0.isCached(BUF));
        assertEquals(1, machine.writebacksInFlight());
        byte[] seen = new byte[8];
        assertTrue(device.read(BUF, seen, 0, 8).ok());
        assertEquals(0, seen[0]); // the device raced the write-back: no barrier yet
        dc0.barrier();
        assertEquals(0, machine.writebacksInFlight());
        assertEquals(5, machine.memory().readLong(BUF));
    }

    @Test
    void cpus_see_in_flight_data_even_after_invalidation() {
        cpu0.storeLong(BUF, 9);
        dc0.cleanLine(BUF);
        dc0.invalidateLine(BUF);
        assertFalse(cpu0.isCached(BUF));
        assertEquals(9, cpu1.loadLong(BUF)); // filled from the in-flight write-back
    }

    @Test
    void invalidate_discards_dirty_data_in_every_cache() {
        cpu1.storeLong(BUF, 3);
        dc0.invalidateLine(BUF); // broadcast: cpu1's line goes too
        assertFalse(cpu1.isCached(BUF));
        assertEquals(0, cpu1.loadLong(BUF));
    }

    @Test
    void invalidate_lets_the_cpu_see_what_a_device_wrote() {
        DmaPort device = machine.attach(1, Coherency.NON_COHERENT);
        cpu0.loadLong(BUF);
        assertTrue(device.write(BUF, new byte[] {7}, 0, 1).ok());
        assertEquals(0, cpu0.loadByte(BUF)); // stale line
        dc0.invalidateLine(BUF);
        dc0.barrier();
        assertEquals(7, cpu0.loadByte(BUF));
    }

    @Test
    void clean_invalidate_writes_back_then_drops() {
        cpu1.storeLong(BUF + 64, 11);
        dc0.cleanInvalidateLine(BUF + 64);
        assertFalse(cpu1.isCached(BUF + 64));
        dc0.barrier();
        assertEquals(11, machine.memory().readLong(BUF + 64));
    }

    @Test
    void a_barrier_completes_only_its_own_cpus_write_backs() {
        CacheMaintenance dc1 = CacheMaintenance.of(cpu1);
        cpu0.storeLong(BUF, 1);
        cpu0.storeLong(BUF + 64, 2);
        dc0.cleanLine(BUF);
        dc1.cleanLine(BUF + 64);
        dc1.barrier();
        assertEquals(0, machine.memory().readLong(BUF));
        assertEquals(2, machine.memory().readLong(BUF + 64));
        dc0.barrier();
        assertEquals(1, machine.memory().readLong(BUF));
    }

    @Test
    void every_instruction_and_barrier_is_counted() {
        HwCounters before = machine.counters();
        dc0.cleanLine(BUF);
        dc0.cleanLine(BUF + 64);
        dc0.invalidateLine(BUF);
        dc0.cleanInvalidateLine(BUF);
        dc0.barrier();
        HwCounters d = machine.counters().minus(before);
        assertEquals(2, d.linesCleaned());
        assertEquals(1, d.linesInvalidated());
        assertEquals(1, d.linesCleanInvalidated());
        assertEquals(1, d.barriers());
    }

    @Test
    void maintenance_outside_memory_is_refused() {
        assertThrows(PhysicalAddressException.class, () -> dc0.cleanLine(MIB));
        assertThrows(PhysicalAddressException.class, () -> dc0.invalidateLine(-64));
        assertEquals(0, machine.counters().linesInvalidated());
    }

    @Test
    void only_model_cpus_have_maintenance_instructions() {
        assertThrows(NullPointerException.class, () -> CacheMaintenance.of(null));
        assertEquals(64, dc0.lineSize());
        assertEquals(0, dc0.cpu());
    }

    @Test
    void every_line_instruction_outside_memory_is_refused_with_nothing_counted() {
        cpu0.storeLong(MIB - 64, 1);
        HwCounters before = machine.counters();
        for (long bad : new long[] {MIB, -1}) {
            PhysicalAddressException e =
                    assertThrows(PhysicalAddressException.class, () -> dc0.cleanInvalidateLine(bad));
            assertEquals(bad, e.paddr());
            assertThrows(PhysicalAddressException.class, () -> dc0.cleanLine(bad));
            assertThrows(PhysicalAddressException.class, () -> dc0.invalidateLine(bad));
        }
        assertEquals(before, machine.counters());
        assertTrue(cpu0.isDirty(MIB - 64));
    }

    @Test
    void a_negative_length_is_refused_as_a_length_not_as_an_address() {
        HwCounters before = machine.counters();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> dc0.checkRange(BUF, -1));
        assertTrue(e.getMessage().contains("length=-1"), e.getMessage());
        assertFalse(e instanceof PhysicalAddressException, e.toString());
        e = assertThrows(IllegalArgumentException.class, () -> dc0.cleanRange(BUF, -64));
        assertTrue(e.getMessage().contains("length=-64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dc0.batch(1).invalidate(BUF, -64));
        assertTrue(e.getMessage().contains("length=-64"), e.getMessage());
        assertEquals(before, machine.counters());
    }

    @Test
    void a_batch_is_issued_by_any_view_of_its_cpu_even_one_made_by_a_racing_thread() {
        // what two threads racing through CacheMaintenance.of leave: the loser's view in its
        // caller's hands, the winner's kept by the CPU and returned to every later caller
        CacheMaintenance loser = dc0;
        ((CpuCore) cpu0).maintenance(null);
        CacheMaintenance kept = CacheMaintenance.of(cpu0);
        assertNotSame(loser, kept);
        cpu0.storeLong(BUF, 21);
        MaintenanceBatch batch = loser.batch(1);
        batch.clean(BUF, 8);
        kept.issue(batch); // the same CPU's instructions: issued, not refused
        assertEquals(0, batch.size());
        assertFalse(cpu0.isDirty(BUF));
        loser.barrier();
        assertEquals(21, machine.memory().readLong(BUF));
        Machine other = Machine.create(MachineConfig.of(MIB));
        MaintenanceBatch foreign = CacheMaintenance.of(other.cpu(0)).batch(1);
        foreign.clean(BUF, 8);
        assertThrows(IllegalArgumentException.class, () -> kept.issue(foreign),
                "CPU 0 of another machine is another CPU");
        MaintenanceBatch cpu1s = CacheMaintenance.of(cpu1).batch(1);
        cpu1s.clean(BUF, 8);
        assertThrows(IllegalArgumentException.class, () -> kept.issue(cpu1s));
    }
}

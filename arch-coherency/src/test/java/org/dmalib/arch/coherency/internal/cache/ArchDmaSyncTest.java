package org.dmalib.arch.coherency.internal.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Cpu;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The arm64 matrix of reference §8.1, checked against the hardware model's counters. */
class ArchDmaSyncTest {
    private static final long MIB = 1L << 20;
    private static final long BUF = 0x8000;
    private static final long SIZE = 512; // 8 lines

    private final Machine machine = Machine.create(MachineConfig.of(MIB));
    private final Cpu cpu = machine.cpu(0);
    private final ArchDmaSync sync = new ArchDmaSync(DcacheMaintenance.on(cpu));

    private HwCounters delta(Runnable r) {
        HwCounters before = machine.counters();
        r.run();
        return machine.counters().minus(before);
    }

    @ParameterizedTest
    @EnumSource(value = DmaDirection.class, names = {"TO_DEVICE", "FROM_DEVICE", "BIDIRECTIONAL"})
    void for_device_cleans_for_every_direction(DmaDirection dir) {
        HwCounters d = delta(() -> assertTrue(sync.forDevice(BUF, SIZE, dir, false)));
        assertEquals(8, d.linesCleaned());
        assertEquals(0, d.linesInvalidated() + d.linesCleanInvalidated());
        assertEquals(1, d.barriers());
    }

    @Test
    void for_cpu_does_nothing_for_to_device() {
        HwCounters d = delta(() -> assertFalse(sync.forCpu(BUF, SIZE, DmaDirection.TO_DEVICE, false)));
        assertEquals(new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), d);
    }

    @ParameterizedTest
    @EnumSource(value = DmaDirection.class, names = {"FROM_DEVICE", "BIDIRECTIONAL"})
    void for_cpu_invalidates_otherwise(DmaDirection dir) {
        HwCounters d = delta(() -> assertTrue(sync.forCpu(BUF, SIZE, dir, false)));
        assertEquals(8, d.linesInvalidated());
        assertEquals(0, d.linesCleaned());
        assertEquals(1, d.barriers());
    }

    @ParameterizedTest
    @EnumSource(value = DmaDirection.class, names = {"TO_DEVICE", "FROM_DEVICE", "BIDIRECTIONAL"})
    void coherent_devices_get_no_maintenance(DmaDirection dir) {
        HwCounters d = delta(() -> {
            assertFalse(sync.forDevice(BUF, SIZE, dir, true));
            assertFalse(sync.forCpu(BUF, SIZE, dir, true));
        });
        assertEquals(new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), d);
    }

    @Test
    void no_sync_forms_leave_the_barrier_to_the_caller() {
        HwCounters d = delta(() -> {
            sync.forDeviceNoSync(BUF, SIZE, DmaDirection.TO_DEVICE);
            sync.forDeviceNoSync(BUF + 4096, SIZE, DmaDirection.FROM_DEVICE);
            sync.forCpuNoSync(BUF + 8192, SIZE, DmaDirection.BIDIRECTIONAL);
        });
        assertEquals(0, d.barriers());
        assertEquals(16, d.linesCleaned());
        assertEquals(8, d.linesInvalidated());
        assertEquals(1, delta(() -> sync.dcache().complete()).barriers());
    }

    @Test
    void prep_coherent_cleans_and_invalidates_with_a_barrier() {
        cpu.storeLong(BUF, 1);
        HwCounters d = delta(() -> sync.prepCoherent(BUF, SIZE));
        assertEquals(8, d.linesCleanInvalidated());
        assertEquals(1, d.barriers());
        assertFalse(cpu.isCached(BUF));
        assertEquals(1, machine.memory().readLong(BUF));
    }

    @Test
    void direction_none_is_refused_without_maintenance() {
        HwCounters d = delta(() -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sync.forDevice(BUF, SIZE, DmaDirection.NONE, false));
            assertTrue(e.getMessage().contains("dir=NONE"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> sync.forCpuNoSync(BUF, SIZE, DmaDirection.NONE));
            assertThrows(NullPointerException.class, () -> sync.forCpu(BUF, SIZE, null, false));
        });
        assertEquals(0, d.linesCleaned() + d.linesInvalidated() + d.barriers());
    }

    @Test
    void direction_none_is_refused_even_for_a_coherent_device_and_by_every_no_sync_form() {
        HwCounters d = delta(() -> {
            for (boolean coherent : new boolean[] {true, false}) {
                IllegalArgumentException dev = assertThrows(IllegalArgumentException.class,
                        () -> sync.forDevice(BUF, SIZE, DmaDirection.NONE, coherent));
                assertTrue(dev.getMessage().contains("dir=NONE"), dev.getMessage());
                IllegalArgumentException forCpu = assertThrows(IllegalArgumentException.class,
                        () -> sync.forCpu(BUF, SIZE, DmaDirection.NONE, coherent));
                assertTrue(forCpu.getMessage().contains("dir=NONE"), forCpu.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sync.forDeviceNoSync(BUF, SIZE, DmaDirection.NONE));
            assertTrue(e.getMessage().contains("dir=NONE"), e.getMessage());
            assertThrows(NullPointerException.class, () -> sync.forDeviceNoSync(BUF, SIZE, null));
            assertThrows(NullPointerException.class, () -> sync.forDevice(BUF, SIZE, null, true));
            assertThrows(NullPointerException.class, () -> sync.forCpu(BUF, SIZE, null, true));
        });
        assertEquals(new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), d);
    }

    @Test
    void for_cpu_no_sync_does_nothing_for_to_device_so_cpu_data_survives() {
        cpu.storeLong(BUF, 5); // written after the device read the buffer
        HwCounters d = delta(() -> sync.forCpuNoSync(BUF, SIZE, DmaDirection.TO_DEVICE));
        assertEquals(new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), d);
        assertTrue(cpu.isDirty(BUF));
        assertEquals(5, cpu.loadLong(BUF));
    }

    @Test
    void a_negative_size_is_refused_by_name_even_where_nothing_would_be_maintained() {
        // a coherent device, and TO_DEVICE for the CPU, take shortcuts: a bad size must not
        // slip through them (as dir=NONE does not)
        cpu.storeLong(BUF, 5);
        HwCounters d = delta(() -> {
            for (DmaDirection dir : new DmaDirection[] {DmaDirection.TO_DEVICE,
                    DmaDirection.FROM_DEVICE, DmaDirection.BIDIRECTIONAL}) {
                for (boolean coherent : new boolean[] {true, false}) {
                    IllegalArgumentException dev = assertThrows(IllegalArgumentException.class,
                            () -> sync.forDevice(BUF, -1, dir, coherent));
                    assertTrue(dev.getMessage().contains("size=-1"), dev.getMessage());
                    IllegalArgumentException forCpu = assertThrows(IllegalArgumentException.class,
                            () -> sync.forCpu(BUF, Long.MIN_VALUE, dir, coherent));
                    assertTrue(forCpu.getMessage().contains("size=" + Long.MIN_VALUE),
                            forCpu.getMessage());
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> sync.forCpuNoSync(BUF, -64, dir));
                assertTrue(e.getMessage().contains("size=-64"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class,
                        () -> sync.forDeviceNoSync(BUF, -64, dir));
                assertTrue(e.getMessage().contains("size=-64"), e.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sync.prepCoherent(BUF, -1));
            assertTrue(e.getMessage().contains("size=-1"), e.getMessage());
        });
        assertEquals(new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), d);
        assertTrue(cpu.isDirty(BUF));
        assertTrue(sync.forDevice(BUF, SIZE, DmaDirection.TO_DEVICE, false)); // the good call
        assertFalse(cpu.isDirty(BUF));
    }
}

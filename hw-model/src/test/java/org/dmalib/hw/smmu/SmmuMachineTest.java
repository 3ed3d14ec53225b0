package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.junit.jupiter.api.Test;

/** The SMMU as part of the machine: attachment, configuration checks, concurrency. */
class SmmuMachineTest {
    private static final long VA = 0x4000_0000L;

    @Test
    void a_stream_id_is_attached_once_and_an_smmu_belongs_to_its_machine() {
        Machine m = Machine.create(MachineConfig.of(1L << 20));
        Smmu smmu = m.addSmmu(SmmuConfig.gem5());
        m.attach(3, Coherency.COHERENT, smmu);
        assertThrows(IllegalArgumentException.class,
                () -> m.attach(3, Coherency.COHERENT, smmu));
        assertThrows(IllegalArgumentException.class, () -> m.attach(-1, Coherency.COHERENT, smmu));
        Smmu foreign = Machine.create(MachineConfig.of(1L << 20)).addSmmu(SmmuConfig.gem5());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.attach(4, Coherency.COHERENT, foreign));
        assertTrue(e.getMessage().contains("another machine"), e.getMessage());
        assertEquals(SmmuConfig.gem5(), smmu.config());
    }

    @Test
    void bad_configurations_are_refused_naming_the_value() {
        SmmuConfig g = SmmuConfig.gem5();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SmmuConfig(true, true, true, true, true, 47, 16, 8, 19, 19, g.iotlb()));
        assertTrue(e.getMessage().contains("47"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new SmmuConfig(true, true, false, false, false, 48, 16, 8, 19, 19, g.iotlb()));
        assertThrows(IllegalArgumentException.class, () -> g.withStreamIdBits(17));
        e = assertThrows(IllegalArgumentException.class,
                () -> new IotlbGeometry(32, 2047, 4, 4, 28, 348, 4));
        assertTrue(e.getMessage().contains("2047"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new IotlbGeometry(-1, 2048, 4, 4, 28, 348, 4));
        assertEquals(IotlbGeometry.GEM5, g.iotlb());
        assertEquals(IotlbGeometry.NONE, SmmuConfig.noCache().iotlb());
    }

    @Test
    void device_accesses_and_command_consumption_run_concurrently() throws Exception {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        PageTables pt = rig.tables(12, 48);
        for (int i = 0; i < 64; i++) {
            pt.mapPage(VA + i * 0x1000L, SmmuRig.DATA + i * 0x1000L, PageTables.RW);
        }
        List<DmaPort> ports = new ArrayList<>();
        for (int sid = 0; sid < 4; sid++) {
            rig.translate(sid, 7, pt);
            ports.add(rig.port(sid));
        }
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<Integer>> devices = new ArrayList<>();
            for (DmaPort port : ports) {
                devices.add(pool.submit(() -> {
                    int ok = 0;
                    byte[] buf = new byte[256];
                    for (int i = 0; i < 20_000; i++) {
                        if (port.write(VA + (i & 63) * 0x1000L, buf, 0, buf.length) == DmaStatus.OK) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            Future<?> driver = pool.submit(() -> {
                for (int i = 0; i < 2_000; i++) {
                    rig.tlbiVa(7, VA + (i & 63) * 0x1000L, true);
                    if (i % 100 == 0) {
                        rig.tlbiAsid(7);
                    }
                }
            });
            driver.get(60, TimeUnit.SECONDS);
            for (Future<Integer> d : devices) {
                assertEquals(20_000, d.get(60, TimeUnit.SECONDS)); // the mappings never changed
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(rig.prod(), rig.cons());
        assertEquals(0, rig.smmu.counters().faults());
    }
}

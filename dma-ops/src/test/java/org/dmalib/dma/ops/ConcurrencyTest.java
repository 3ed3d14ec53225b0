package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/** The device handle and the allocator under concurrent use from both CPUs. */
class ConcurrencyTest {

    @Test
    void concurrentBouncedMappingsOnTwoCpusKeepDataAndReleaseEverySlot() throws Exception {
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.bitMask(24));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                Cpu cpu = r.machine.cpu(t % 2);
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        CpuBuffer buf = r.memory.allocateAbove(32L << 20, 8192);
                        byte[] data = Rig.pattern(8192, seed * 100 + i);
                        buf.write(cpu, 0, data);
                        try (ScopedDmaMapping m = r.dev.mapSingleScoped(cpu, buf, DmaDirection.TO_DEVICE)) {
                            assertArrayEquals(data, r.deviceRead(m.dmaAddress(), 8192));
                        }
                        r.memory.free(buf);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertEquals(0, r.memory.pagesInUse());
        assertTrue(r.dev.pendingMappings().isEmpty());
    }
}

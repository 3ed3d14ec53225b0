package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/** Four threads map and unmap disjoint ranges of one domain; the device checks afterwards. */
class ConcurrencyTest {
    private static final long PAGE = 4096;
    private static final int THREADS = 4;
    private static final int ROUNDS = 100;
    private static final long PAGES = 8;

    @Test
    void concurrent_map_and_unmap_on_disjoint_ranges_stay_correct() throws Exception {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, 7);
        DmaPort port = rig.port(7);
        List<Callable<Void>> work = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            long iova = 0x1000_0000L * (t + 1);
            long paddr = Rig.DATA + t * PAGES * PAGE;
            rig.machine.memory().fill(paddr, PAGES * PAGE, (byte) (t + 1));
            work.add(() -> {
                for (int r = 0; r < ROUNDS; r++) {
                    domain.map(iova, paddr, PAGES * PAGE, IommuProt.READ_WRITE);
                    Rig.assertReads(port, iova, PAGES * PAGE, PAGE, DmaStatus.OK);
                    if (r < ROUNDS - 1) {
                        assertEquals(PAGES * PAGE, domain.unmap(iova, PAGES * PAGE));
                        Rig.assertReads(port, iova, PAGES * PAGE, PAGE, DmaStatus.ABORT);
                    }
                }
                return null;
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (Future<Void> f : pool.invokeAll(work)) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        for (int t = 0; t < THREADS; t++) {
            byte[] got = new byte[(int) (PAGES * PAGE)];
            assertEquals(DmaStatus.OK, port.read(0x1000_0000L * (t + 1), got, 0, got.length));
            byte[] want = new byte[got.length];
            java.util.Arrays.fill(want, (byte) (t + 1));
            assertArrayEquals(want, got);
        }
        rig.driver.drainEvents(); // the expected aborts of the unmapped phases
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole domain lifecycles on several threads at once, each on its own stream, while another
 * thread drains the event queue: allocate (ASID, pgd), attach (CD, STE, CFGI, sync), map, device
 * reads, unmap (TLBI, sync), device faults, detach (CFGI, sync, CD freed), free (TLBI by ASID,
 * sync, tables, ASID), a second free refused. Every sync must cover its own thread's commands
 * however the submissions interleave: a read after the unmap returned faults, a read after the
 * attach translates. At the end every table byte and ASID is back and no command failed.
 *
 * <p>Short by default; {@code -Ddmalib.stress.rounds=N} runs N rounds per thread.
 */
class LifecycleStressTest {
    private static final long PAGE = 4096;
    private static final long PAGES = 4;
    private static final int WORKERS = 3;
    private static final int ROUNDS = Integer.getInteger("dmalib.stress.rounds", 40);
    private static final int SID = 20;

    @ParameterizedTest(name = "coherent walk {0}")
    @ValueSource(booleans = {true, false})
    void lifecycles_on_three_streams_with_a_concurrent_event_reader(boolean coherent)
            throws Exception {
        Rig rig = new Rig(SmmuConfig.gem5().withCoherentWalk(coherent));
        long baseline = rig.tables.bytesInUse();
        DmaPort[] ports = new DmaPort[WORKERS];
        for (int t = 0; t < WORKERS; t++) {
            ports[t] = rig.port(SID + t);
            rig.machine.memory().fill(Rig.DATA + t * PAGES * PAGE, PAGES * PAGE, (byte) (t + 1));
        }
        AtomicInteger running = new AtomicInteger(WORKERS);
        AtomicLong drained = new AtomicLong();
        List<Callable<Void>> work = new ArrayList<>();
        for (int t = 0; t < WORKERS; t++) {
            int w = t;
            work.add(() -> {
                try {
                    lifecycles(rig, w, ports[w]);
                } finally {
                    running.decrementAndGet(); // failed or not: the reader ends after the last
                }
                return null;
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
        try {
            Future<?> reader = pool.submit(() -> {
                while (running.get() > 0) {
                    drained.addAndGet(checked(rig.driver.drainEvents()));
                }
                return null;
            });
            for (Future<Void> f : pool.invokeAll(work)) {
                f.get();
            }
            reader.get();
        } finally {
            pool.shutdownNow();
        }
        drained.addAndGet(checked(rig.driver.drainEvents()));
        SmmuDriverCounters c = rig.driver.counters();
        assertEquals(0, c.commandErrors());
        if (c.eventOverflows() == 0) {
            // each round's unmapped pages fault once each (CD.R records them)
            assertEquals((long) WORKERS * ROUNDS * PAGES, drained.get());
        }
        assertEquals(baseline, rig.tables.bytesInUse(), "every table, CD and pgd freed");
        // every ASID is free again: as many domains as the ASID space allows can be allocated
        List<IommuDomain> all = new ArrayList<>();
        for (int i = 1; i < 1 << rig.driver.features().asidBits() && i <= 300; i++) {
            all.add(rig.domain(InvalidationStrategy.LINUX, (int) PAGE));
        }
        for (IommuDomain d : all) {
            rig.driver.freeDomain(d);
        }
    }

    /** Returns how many faults {@code faults} holds, each a translation fault of a worker. */
    private static long checked(List<SmmuFault> faults) {
        for (SmmuFault f : faults) {
            assertEquals(SmmuEvent.Kind.TRANSLATION_FAULT, f.kind(), f.toString());
            assertTrue(f.streamId() >= SID && f.streamId() < SID + WORKERS, f.toString());
        }
        return faults.size();
    }

    private static void lifecycles(Rig rig, int w, DmaPort port) {
        long iova = (w + 1) * Rig.GIB + 0x20_0000L * w; // each worker its own level-1 slot
        long paddr = Rig.DATA + w * PAGES * PAGE;
        byte[] want = new byte[(int) (PAGES * PAGE)];
        Arrays.fill(want, (byte) (w + 1));
        InvalidationStrategy[] strategies = InvalidationStrategy.values();
        for (int r = 0; r < ROUNDS; r++) {
            IommuDomain domain = rig.domain(strategies[(r + w) % strategies.length], (int) PAGE);
            rig.driver.attach(domain, SID + w);
            domain.map(iova, paddr, PAGES * PAGE, IommuProt.READ_WRITE);
            byte[] got = new byte[want.length];
            assertEquals(DmaStatus.OK, port.read(iova, got, 0, got.length), "round " + r);
            assertArrayEquals(want, got);
            assertEquals(PAGES * PAGE, domain.unmap(iova, PAGES * PAGE));
            Rig.assertReads(port, iova, PAGES * PAGE, PAGE, DmaStatus.ABORT);
            rig.driver.detach(SID + w);
            rig.driver.freeDomain(domain);
            assertThrows(DomainBusyException.class, () -> rig.driver.freeDomain(domain));
        }
    }
}

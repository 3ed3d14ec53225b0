package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaStatus;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lazy mode: the flush queue of reference §2.11, on a fake clock. */
class IommuLazyTest {
    private static final long MS = 1_000_000L;

    private final AtomicLong clock = new AtomicLong(1_000 * MS);

    private IommuRig lazyRig() {
        return lazyRig(DebugMode.THROW);
    }

    private IommuRig lazyRig(DebugMode debug) {
        return new IommuRig(Coherency.NON_COHERENT,
                p -> p.withFlushMode(FlushMode.LAZY).withDebug(debug), clock::get);
    }

    @Test
    void aLazyUnmapIssuesNoInvalidationAndTheTimeoutFlushesTheDomain() {
        IommuRig r = lazyRig();
        CpuBuffer buf = r.memory.allocate(4096);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        long iova = m.dmaAddress();
        assertEquals(DmaStatus.OK, r.tryRead(iova)); // warms the IOTLB
        SmmuDriverCounters before = r.driverCounters();
        m.unmap(r.cpu);
        SmmuDriverCounters d = r.driverCounters().minus(before);
        assertEquals(0, d.tlbiNhVa() + d.tlbiNhAsid() + d.tlbiNhAll() + d.cmdSyncs(), d.toString());
        assertFalse(r.anyTranslated(iova, 4096), "the page table entry is gone at once");
        assertEquals(DmaStatus.OK, r.tryRead(iova), "lazy's trade-off: the stale IOTLB entry still hits");
        assertEquals(1, r.dmaDomain.flushQueuePending());
        assertEquals(1, r.dmaDomain.iovaRangesOutstanding(), "not reusable before a flush");

        clock.addAndGet(10 * MS - 1);
        assertFalse(r.dmaDomain.tick(), "10 ms have not passed");
        clock.addAndGet(1);
        assertTrue(r.dmaDomain.tick());
        assertEquals(DmaStatus.ABORT, r.tryRead(iova));
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(new LazyFlushCounters(1, 1, 1, 1, 0, 1), r.dmaDomain.flushQueueCounters());
        assertEquals(1, r.driverCounters().minus(before).tlbiNhAsid(), "one ASID-wide invalidation");
        assertFalse(r.dmaDomain.tick(), "the timer is disarmed until the next unmap");
    }

    @Test
    void aFullRingFlushesOnceAndFreesItsEntries() {
        IommuRig r = lazyRig();
        CpuBuffer buf = r.memory.allocate(4096);
        for (int i = 0; i < 255; i++) { // a ring of 256 slots holds 255, as Linux's fq_full
            r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE).unmap(r.cpu);
        }
        assertEquals(255, r.dmaDomain.flushQueuePending());
        assertEquals(0, r.dmaDomain.flushQueueCounters().flushesStarted());
        LazyFlushCounters before = r.dmaDomain.flushQueueCounters();
        r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE).unmap(r.cpu);
        assertEquals(new LazyFlushCounters(1, 1, 256, 255, 1, 0), r.dmaDomain.flushQueueCounters());
        assertEquals(new LazyFlushCounters(1, 1, 1, 255, 1, 0),
                r.dmaDomain.flushQueueCounters().minus(before), "what the 256th unmap did");
        assertEquals(LazyFlushCounters.ZERO, before.minus(before));
        assertEquals(1, r.dmaDomain.flushQueuePending());
        r.dmaDomain.flushQueue();
        assertEquals(0, r.dmaDomain.flushQueuePending());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void anExpiredTimerFiresOnTheNextUnmap() {
        IommuRig r = lazyRig();
        CpuBuffer buf = r.memory.allocate(4096);
        r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE).unmap(r.cpu);
        clock.addAndGet(11 * MS);
        r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE).unmap(r.cpu);
        LazyFlushCounters c = r.dmaDomain.flushQueueCounters();
        assertEquals(1, c.timerFlushes());
        assertEquals(1, c.freed(), "the first range went, the second waits");
        assertEquals(1, r.dmaDomain.flushQueuePending());
    }

    @Test
    void aDetachedDevicesQueuedRangeIsStillFreedByTheTimeout() {
        IommuRig r = lazyRig();
        r.dev.mapSingle(r.cpu, r.memory.allocate(4096), DmaDirection.TO_DEVICE).unmap(r.cpu);
        r.dev.detach();
        clock.addAndGet(10 * MS);
        assertTrue(r.dmaDomain.tick(), "the domain and its timer outlive the device");
        assertEquals(new LazyFlushCounters(1, 1, 1, 1, 0, 1), r.dmaDomain.flushQueueCounters());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void afterTheDomainIsFreedTheTimeoutNeverFiresAndEveryDueTickIsRefusedNamingIt() {
        IommuRig r = lazyRig();
        r.dev.mapSingle(r.cpu, r.memory.allocate(4096), DmaDirection.TO_DEVICE).unmap(r.cpu);
        r.dev.detach();
        r.driver.detach(IommuRig.SID);
        r.driver.freeDomain(r.domain);
        SmmuDriverCounters before = r.driverCounters();
        assertFalse(r.dmaDomain.tick(), "not due: no call into the domain");
        clock.addAndGet(10 * MS);
        for (int attempt = 0; attempt < 2; attempt++) {
            IllegalStateException e = assertThrows(IllegalStateException.class, r.dmaDomain::tick);
            assertTrue(e.getMessage().startsWith(r.domain + " was freed"), e::getMessage);
            assertTrue(e.getMessage().contains("timer never fires"), e::getMessage);
            assertTrue(e.getCause() instanceof IllegalStateException, "the domain's own refusal");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, r.dmaDomain::flushQueue);
        assertTrue(e.getMessage().startsWith(r.domain + " was freed"), e::getMessage);
        assertThrows(IllegalStateException.class, r.dmaDomain::tick, "still armed after flushQueue");
        // four refused flushes: counted as started, none finished, none a timer flush
        assertEquals(new LazyFlushCounters(4, 0, 1, 0, 0, 0), r.dmaDomain.flushQueueCounters());
        assertEquals(1, r.dmaDomain.flushQueuePending());
        assertEquals(SmmuDriverCounters.ZERO, r.driverCounters().minus(before), "no command reached the SMMU");
    }

    /** An unmapped range, and the flush-start count when its unmap returned. */
    private record Unmapped(long lo, long hi, long startedAtUnmap) {}

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void noIovaIsReusedBeforeAFlushThatStartedAfterItsUnmap(long seed) {
        // debug checks off: the property rewrites buffers that earlier mappings still hold
        IommuRig r = lazyRig(DebugMode.OFF);
        Random rnd = new Random(seed);
        Cpu[] cpus = {r.machine.cpu(0), r.machine.cpu(1)};
        List<DmaMapping> live = new ArrayList<>();
        List<Unmapped> unsafe = new ArrayList<>();
        List<CpuBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            buffers.add(r.memory.allocate(4096 << (i % 3)));
        }
        int reusedChecks = 0;
        for (int step = 0; step < 3000; step++) {
            Cpu cpu = cpus[rnd.nextInt(2)];
            int op = rnd.nextInt(10);
            if (op < 5 || live.isEmpty()) {
                CpuBuffer b = buffers.get(rnd.nextInt(buffers.size()));
                byte[] data = Rig.pattern(16, step);
                b.write(cpu, 0, data);
                DmaMapping m = r.dev.mapSingle(cpu, b, DmaDirection.TO_DEVICE);
                long lo = m.dmaAddress();
                long hi = lo + m.size();
                long finished = r.dmaDomain.flushQueueCounters().flushesFinished();
                for (Iterator<Unmapped> it = unsafe.iterator(); it.hasNext(); ) {
                    Unmapped u = it.next();
                    if (finished > u.startedAtUnmap()) {
                        it.remove(); // a flush that began after the unmap has finished
                    } else {
                        assertFalse(lo < u.hi() && u.lo() < hi, String.format(
                                "iova 0x%x reused before a flush that started after its unmap", lo));
                    }
                }
                // the hardware view of the same property: the device sees the new buffer
                assertArrayEquals(data, r.deviceRead(lo, 16), "stale IOTLB entry at reuse");
                reusedChecks++;
                live.add(m);
            } else if (op < 9) {
                DmaMapping m = live.remove(rnd.nextInt(live.size()));
                m.unmap(cpu);
                long lo = m.dmaAddress() & -4096L;
                long hi = (m.dmaAddress() + m.size() + 4095) & -4096L;
                unsafe.add(new Unmapped(lo, hi, r.dmaDomain.flushQueueCounters().flushesStarted()));
            } else {
                clock.addAndGet(rnd.nextInt(4) * MS);
                boolean fired = r.dmaDomain.tick();
                assertTrue(!fired || r.dmaDomain.flushQueueCounters().timerFlushes() > 0);
            }
        }
        live.forEach(m -> m.unmap(r.cpu));
        r.dmaDomain.flushQueue();
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertTrue(reusedChecks > 1000);
        LazyFlushCounters c = r.dmaDomain.flushQueueCounters();
        assertEquals(c.queued(), c.freed());
        assertTrue(c.timerFlushes() > 0, c.toString());
    }

    @Test
    void strictAndLazyDevicesShareOneDomain() {
        IommuRig r = lazyRig();
        DmaDevice strict = DmaDevice.create(r.memory, r.dev.params().withFlushMode(FlushMode.STRICT),
                r.dmaDomain);
        CpuBuffer buf = r.memory.allocate(4096);
        DmaMapping m = strict.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        assertEquals(DmaStatus.OK, r.tryRead(m.dmaAddress()));
        m.unmap(r.cpu);
        assertEquals(DmaStatus.ABORT, r.tryRead(m.dmaAddress()));
        assertEquals(0, r.dmaDomain.flushQueuePending());
    }

    @Test
    void twoCpusUnmappingLazilyInParallelLeaveNothingOutstanding() throws InterruptedException {
        IommuRig r = lazyRig();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread[] threads = new Thread[2];
        for (int t = 0; t < threads.length; t++) {
            Cpu cpu = r.machine.cpu(t);
            CpuBuffer buf = r.memory.allocate(4096);
            threads[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < 2000; i++) {
                        r.dev.mapSingle(cpu, buf, DmaDirection.TO_DEVICE).unmap(cpu);
                        if (i % 100 == 0) {
                            clock.addAndGet(MS);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), failures);
        r.dmaDomain.flushQueue();
        LazyFlushCounters c = r.dmaDomain.flushQueueCounters();
        assertEquals(4000, c.queued());
        assertEquals(4000, c.freed());
        assertEquals(c.flushesStarted(), c.flushesFinished());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }
}

package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.api.Test;

/**
 * The lazy flush queue under concurrency: two CPUs map and unmap lazily on one domain while a
 * third thread moves the clock and {@linkplain IommuDmaDomain#tick() ticks}; no IOVA may be
 * handed out again before a flush of the IOTLB that started after its unmap began has ended
 * (DESIGN.md). Longer with {@code -Ddmalib.dma.lazyReuseRounds=N}.
 */
class LazyReuseRaceTest {
    // maps per CPU: about 0.3 s
    private static final int ROUNDS = Integer.getInteger("dmalib.dma.lazyReuseRounds", 3000);
    private static final long MS = 1_000_000L;

    /** A range being unmapped or unmapped, and the event before its unmap began. */
    private record Unmapped(long lo, long hi, long before) {}

    @Test
    void noIovaIsReusedBeforeAFlushThatStartedAfterItsUnmapWhileTicksRace() throws Exception {
        AtomicLong clock = new AtomicLong();
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withFlushMode(FlushMode.LAZY)
                .withDebug(DebugMode.OFF));
        PausingDomain recording = PausingDomain.recording((GatheringDomain) r.domain);
        IommuDmaDomain dd = IommuDmaDomain.create(r.memory, recording, clock::get);
        DmaDevice dev = DmaDevice.create(r.memory, r.dev.params(), dd);
        // both CPUs' unmapped ranges not yet seen again: a reuse may come from either CPU
        List<Unmapped> unmapped = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong fired = new AtomicLong();
        AtomicLong reuses = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            Cpu cpu = r.machine.cpu(c);
            List<CpuBuffer> buffers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                buffers.add(r.memory.allocate(4096 << (i % 3)));
            }
            threads.add(RaceThreads.start(() -> {
                List<DmaMapping> live = new ArrayList<>();
                for (int i = 0; i < ROUNDS; i++) {
                    DmaMapping m = dev.mapSingle(cpu, buffers.get(i % buffers.size()), DmaDirection.TO_DEVICE);
                    reuses.addAndGet(check(recording, unmapped, m, recording.event()));
                    live.add(m);
                    if (live.size() > 2 || i % 3 == 0) {
                        DmaMapping u = live.remove(0);
                        // recorded before the unmap: the range is outstanding until it begins
                        unmapped.add(new Unmapped(u.dmaAddress() & -4096L,
                                (u.dmaAddress() + u.size() + 4095) & -4096L, recording.event()));
                        u.unmap(cpu);
                    }
                }
                live.forEach(m -> m.unmap(cpu));
            }, failures));
        }
        Thread ticker = RaceThreads.start(() -> {
            while (running.get()) {
                clock.addAndGet(3 * MS);
                if (dd.tick()) {
                    fired.incrementAndGet();
                }
                // a tick every ~50 us: the two CPUs keep the machine's two cores between ticks
                LockSupport.parkNanos(50_000);
            }
        }, failures);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        running.set(false);
        ticker.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(List.of(), failures);
        assertTrue(fired.get() > 0, "no tick fired while the CPUs unmapped");
        assertTrue(reuses.get() > ROUNDS / 10, "too few IOVAs were reused to check: " + reuses);
        dd.flushQueue();
        LazyFlushCounters c = dd.flushQueueCounters();
        assertEquals(c.queued(), c.freed());
        assertEquals(c.flushesStarted(), c.flushesFinished());
        assertEquals(0, dd.iovaRangesOutstanding());
    }

    /**
     * Checks a new mapping's range against every earlier unmap of a range it overlaps.
     *
     * @return how many such unmaps there were
     */
    private static int check(PausingDomain recording, List<Unmapped> unmapped, DmaMapping m,
            long mappedBy) {
        long lo = m.dmaAddress() & -4096L;
        long hi = (m.dmaAddress() + m.size() + 4095) & -4096L;
        int seen = 0;
        synchronized (unmapped) {
            for (Iterator<Unmapped> it = unmapped.iterator(); it.hasNext(); ) {
                Unmapped u = it.next();
                if (lo < u.hi() && u.lo() < hi) {
                    if (!recording.flushedBetween(u.before(), mappedBy)) {
                        throw new AssertionError(String.format(
                                "iova [0x%x, 0x%x) reused before a flush that started after its unmap",
                                u.lo(), u.hi()));
                    }
                    it.remove(); // seen again: a later unmap of it is a new record
                    seen++;
                }
            }
        }
        return seen;
    }
}

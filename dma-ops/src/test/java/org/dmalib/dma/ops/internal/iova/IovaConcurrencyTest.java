package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Four threads on two CPU indices allocate and free random sizes under random limits in a space
 * small enough to exhaust (so flush-and-retry runs concurrently with the fast paths). A shared
 * map of live ranges proves that no two live ranges overlap, reserved windows included; at the
 * end, after a flush, the tree holds exactly the live and reserved ranges.
 *
 * <p>CI runs {@value #DEFAULT_OPS} operations per thread (well under 2 s); a longer run:
 * {@code -Ddmalib.iova.stressOps=5000000}.
 */
class IovaConcurrencyTest {
    private static final int DEFAULT_OPS = 25_000;
    private static final int THREADS = 4;
    private static final int CPUS = 2;
    private static final long END = 2047;
    private static final long RESERVED_LO = 1000;
    private static final long RESERVED_HI = 1063;

    @Test
    void noRangeIsHandedOutTwiceAndTheTreeEndsExact() throws Exception {
        int ops = Integer.getInteger("dmalib.iova.stressOps", DEFAULT_OPS);
        IovaDomain d = new IovaDomain(4096, 1, END, CPUS, System::nanoTime);
        d.reserve(RESERVED_LO, RESERVED_HI);
        // live ranges: first granule -> last granule; the reserved window is one of them
        ConcurrentSkipListMap<Long, Long> live = new ConcurrentSkipListMap<>();
        live.put(RESERVED_LO, RESERVED_HI);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Long>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                done.add(pool.submit(() -> run(d, live, id, ops, start)));
            }
            long exhausted = 0;
            for (Future<Long> f : done) {
                exhausted += f.get(5, TimeUnit.MINUTES);
            }
            d.flushRcaches();
            List<IovaRange> expected = new ArrayList<>();
            for (Map.Entry<Long, Long> e : live.entrySet()) {
                expected.add(new IovaRange(e.getKey(), e.getValue(), e.getKey() == RESERVED_LO));
            }
            assertEquals(expected, d.treeRanges(), "exhausted " + exhausted + " times");
            assertEquals(live.size() - 1, d.outstandingCount());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void ofTwoRacingFreesOfOneRangeExactlyOneSucceeds() throws Exception {
        IovaDomain d = new IovaDomain(4096, 1, END, CPUS, System::nanoTime);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 1000; i++) {
                long pfn = d.allocFast(i % CPUS, 1, END, true);
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<Boolean>> frees = new ArrayList<>();
                for (int cpu = 0; cpu < CPUS; cpu++) {
                    int c = cpu;
                    frees.add(pool.submit(() -> {
                        start.await();
                        try {
                            d.freeFast(c, pfn, 1);
                            return true;
                        } catch (UnknownIovaException e) {
                            return false;
                        }
                    }));
                }
                int ok = 0;
                for (Future<Boolean> f : frees) {
                    ok += f.get(1, TimeUnit.MINUTES) ? 1 : 0;
                }
                assertEquals(1, ok, "pfn " + pfn);
            }
            assertEquals(0, d.outstandingCount());
            d.flushRcaches();
            assertEquals(List.of(), d.treeRanges(), "every range was cached exactly once");
        } finally {
            pool.shutdownNow();
        }
    }

    /** One thread's work; returns how many allocations found the space exhausted. */
    private static long run(IovaDomain d, ConcurrentSkipListMap<Long, Long> live, int id, int ops,
            CyclicBarrier start) throws Exception {
        Random rnd = new Random(id * 7919L);
        List<long[]> mine = new ArrayList<>();
        long exhausted = 0;
        start.await();
        for (int i = 0; i < ops; i++) {
            int cpu = rnd.nextInt(4) == 0 ? rnd.nextInt(CPUS) : id % CPUS;
            if (mine.size() < 64 && (mine.isEmpty() || rnd.nextBoolean())) {
                long size = rnd.nextInt(8) == 0 ? 1L + rnd.nextInt(48) : 1L + rnd.nextInt(8);
                long limit = rnd.nextBoolean() ? END : 512L + rnd.nextInt(1536);
                long pfn = d.tryAllocFast(cpu, size, limit, rnd.nextInt(4) != 0);
                if (pfn == 0) {
                    exhausted++;
                    continue;
                }
                long hi = pfn + IovaDomain.roundedSize(size) - 1;
                if (hi > limit || pfn < 1) {
                    throw new AssertionError(String.format("[%d, %d] above limit %d", pfn, hi, limit));
                }
                claim(live, pfn, hi);
                mine.add(new long[] {pfn, size});
            } else {
                long[] r = mine.remove(rnd.nextInt(mine.size()));
                // released before the free: once freed, another thread may get it at once
                live.remove(r[0]);
                d.freeFast(cpu, r[0], r[1]);
            }
        }
        return exhausted;
    }

    private static void claim(ConcurrentSkipListMap<Long, Long> live, long lo, long hi) {
        Long clash = live.putIfAbsent(lo, hi);
        if (clash != null) {
            throw new AssertionError(String.format("[%d, %d] handed out while [%d, %d] lives", lo, hi, lo, clash));
        }
        // of two overlapping claims, the one that looks last sees the other
        Map.Entry<Long, Long> below = live.lowerEntry(lo);
        Map.Entry<Long, Long> above = live.higherEntry(lo);
        if (below != null && below.getValue() >= lo) {
            throw new AssertionError(String.format("[%d, %d] overlaps [%d, %d]", lo, hi, below.getKey(),
                    below.getValue()));
        }
        if (above != null && above.getKey() <= hi) {
            throw new AssertionError(String.format("[%d, %d] overlaps [%d, %d]", lo, hi, above.getKey(),
                    above.getValue()));
        }
    }
}

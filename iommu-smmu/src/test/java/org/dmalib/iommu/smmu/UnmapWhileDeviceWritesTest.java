package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A device keeps writing a buffer while its driver maps and unmaps it, round after round, on the
 * real driver (strict unmap: TLBI and CMD_SYNC before {@code unmap} returns). Once an unmap has
 * returned, no byte of the device's bursts may reach the buffer, however they interleave with
 * the invalidation: SMMUv3 completes a CMD_SYNC only after the transactions that used what it
 * invalidated. Each burst covers the whole buffer (16 pages, translated before any moves, so a
 * burst caught by the unmap has translations in hand for a while). Each round maps, waits for a
 * burst to land, unmaps, takes the buffer's contents, lets the device try more bursts, and finds
 * the contents unchanged; the device stops with an abort, never with a burst half landed.
 *
 * <p>Short by default; {@code -Ddmalib.stress.rounds=N} runs N rounds.
 */
class UnmapWhileDeviceWritesTest {
    private static final int SID = 9;
    private static final long PAGE = 4096;
    private static final int PAGES = 16;
    private static final int BYTES = (int) (PAGES * PAGE);
    private static final long IOVA = Rig.GIB;
    private static final int ROUNDS = Integer.getInteger("dmalib.stress.rounds", 200);
    // bursts the device must try between the unmap and the second look: enough for one that
    // held its translations across the CMD_SYNC to have moved its data
    private static final int LATER_BURSTS = 20;
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void no_burst_reaches_the_buffer_after_its_unmap_returned(Coherency c) throws Exception {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.machine.attach(SID, c, rig.smmu);
        PhysicalMemory ram = rig.machine.memory();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong tried = new AtomicLong();
        AtomicLong landed = new AtomicLong();
        ExecutorService device = Executors.newSingleThreadExecutor();
        try {
            Future<?> writes = device.submit(() -> {
                byte[] burst = new byte[BYTES];
                for (long n = 1; !stop.get(); n++) {
                    Arrays.fill(burst, (byte) n); // each burst its own byte, on every page
                    if (port.write(IOVA, burst, 0, BYTES) == DmaStatus.OK) {
                        landed.set(n);
                    }
                    tried.incrementAndGet();
                }
                return null;
            });
            byte[] before = new byte[BYTES];
            byte[] after = new byte[BYTES];
            for (int r = 0; r < ROUNDS; r++) {
                long seen = landed.get();
                domain.map(IOVA, Rig.DATA, BYTES, IommuProt.READ_WRITE);
                await(() -> landed.get() != seen, "round " + r + ": no burst landed");
                assertEquals(BYTES, domain.unmap(IOVA, BYTES));
                ram.read(Rig.DATA, before, 0, BYTES);
                long t = tried.get();
                await(() -> tried.get() >= t + LATER_BURSTS, "round " + r + ": the device stopped");
                ram.read(Rig.DATA, after, 0, BYTES);
                assertArrayEquals(before, after, "round " + r + ": a burst landed after the unmap");
                byte[] one = new byte[BYTES];
                Arrays.fill(one, before[0]);
                assertArrayEquals(one, before, "round " + r + ": a burst landed in part");
            }
            stop.set(true);
            writes.get(WAIT_NANOS, TimeUnit.NANOSECONDS);
        } finally {
            stop.set(true);
            device.shutdownNow();
        }
        assertTrue(rig.driver.counters().commandErrors() == 0);
    }

    private static void await(java.util.function.BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " within 20 s");
            }
            Thread.onSpinWait();
        }
    }
}

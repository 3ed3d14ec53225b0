package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
import static org.dmalib.hw.internal.smmu.HandStage1.CMDQ;
import static org.dmalib.hw.internal.smmu.HandStage1.DATA;
import static org.dmalib.hw.internal.smmu.HandStage1.SID;
import static org.dmalib.hw.internal.smmu.HandStage1.VA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.internal.CoherenceFabric;
import org.dmalib.hw.internal.HwStats;
import org.dmalib.hw.smmu.CommandLayout;
import org.junit.jupiter.api.Test;

/**
 * The replay of the last micro-TLB hit takes no lock ({@link SmmuDevice}'s contract): while
 * another thread holds the SMMU's lock, stuck consuming a command queue whose coherent read
 * waits for the coherence fabric, the stream keeps translating the page it last hit, and only
 * that page.
 */
class SmmuReplayLockTest {
    private final PhysicalMemory ram = new PhysicalMemory(64L << 20);
    private final CoherenceFabric fabric = new CoherenceFabric(ram, CacheGeometry.DEFAULT, 1,
            new HwStats());
    private final SmmuDevice smmu = new SmmuDevice(SmmuConfig.gem5(), fabric);

    /** Stage 1 for stream {@code SID}: VA maps to DATA; queues and tables write-back. */
    private void program() {
        HandStage1.program(ram, smmu, 1, 0xd75); // command reads snoop the fabric
    }

    @Test
    void a_replayed_hit_completes_while_another_thread_holds_the_smmus_lock()
            throws InterruptedException, ExecutionException {
        program();
        assertEquals(DATA, smmu.translate(SID, VA, false)); // walked
        assertEquals(DATA + 8, smmu.translate(SID, VA + 8, false)); // a micro-TLB hit

        CountDownLatch fabricHeld = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (fabric) { // the coherence fabric's lock, as a CPU access holds it
                fabricHeld.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        ram.writeLong(CMDQ, CommandLayout.OP_CMD_SYNC);
        Thread doorbell = new Thread(() -> smmu.write32(CMDQ_PROD, 1));
        holder.start();
        try {
            assertTrue(fabricHeld.await(10, TimeUnit.SECONDS));
            doorbell.start(); // takes the SMMU's lock, then waits for the fabric to read CMDQ
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (doorbell.getState() != Thread.State.BLOCKED && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(Thread.State.BLOCKED, doorbell.getState());
            CompletableFuture<Long> replayed =
                    CompletableFuture.supplyAsync(() -> smmu.translate(SID, VA + 16, false));
            try {
                assertEquals(DATA + 16, replayed.get(5, TimeUnit.SECONDS));
            } catch (TimeoutException e) {
                throw new AssertionError("a replayed micro-TLB hit waited for the SMMU's lock", e);
            }
        } finally {
            release.countDown();
            holder.join(10_000);
            if (doorbell.getState() != Thread.State.NEW) {
                doorbell.join(10_000);
            }
        }
        assertEquals(1, smmu.read32(CMDQ_CONS), "the doorbell completed once the fabric was free");
        assertEquals(3, smmu.counters().microTlbHits() + smmu.counters().walks());
    }
}

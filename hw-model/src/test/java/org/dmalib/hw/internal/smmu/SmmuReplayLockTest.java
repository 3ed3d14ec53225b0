package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
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
import org.dmalib.hw.smmu.CdLayout;
import org.dmalib.hw.smmu.CommandLayout;
import org.dmalib.hw.smmu.DescriptorLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SteLayout;
import org.junit.jupiter.api.Test;

/**
 * The replay of the last micro-TLB hit takes no lock ({@link SmmuDevice}'s contract): while
 * another thread holds the SMMU's lock, stuck consuming a command queue whose coherent read
 * waits for the coherence fabric, the stream keeps translating the page it last hit, and only
 * that page.
 */
class SmmuReplayLockTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long STRTAB = 0x10_0000;
    private static final long CMDQ = 0x20_0000;
    private static final long CD = 0x22_0000;
    private static final long TABLES = 0x40_0000; // levels 0 to 3, one 4 KiB table each
    private static final long DATA = 0x100_0000;
    private static final long VA = 0x4000_0000L; // level-0 index 0, level-1 index 1

    private final PhysicalMemory ram = new PhysicalMemory(64L << 20);
    private final CoherenceFabric fabric = new CoherenceFabric(ram, CacheGeometry.DEFAULT, 1,
            new HwStats());
    private final SmmuDevice smmu = new SmmuDevice(SmmuConfig.gem5(), fabric);

    /** Stage 1 for stream {@code SID}: VA maps to DATA; queues and tables as a driver sets them. */
    private void program() {
        long table = DescriptorLayout.TYPE_TABLE_OR_PAGE;
        ram.writeLong(TABLES, (TABLES + 0x1000) | table);
        ram.writeLong(TABLES + 0x1000 + 8, (TABLES + 0x2000) | table);
        ram.writeLong(TABLES + 0x2000, (TABLES + 0x3000) | table);
        ram.writeLong(TABLES + 0x3000, DATA | DescriptorLayout.AF | DescriptorLayout.AP_UNPRIV
                | DescriptorLayout.TYPE_TABLE_OR_PAGE);
        ram.writeLong(CD, CdLayout.V | CdLayout.AA64 | CdLayout.R | CdLayout.A
                | Fields.prep(CdLayout.ASID, ASID) | Fields.prep(CdLayout.T0SZ, 16)
                | Fields.prep(CdLayout.TG0, CdLayout.TG0_4K) | Fields.prep(CdLayout.IPS, 5)
                | CdLayout.EPD1);
        ram.writeLong(CD + 8, TABLES & CdLayout.TTB0);
        ram.writeLong(STRTAB + SID * (long) SteLayout.BYTES, SteLayout.V
                | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS) | CD);
        smmu.write64(STRTAB_BASE, STRTAB);
        smmu.write32(STRTAB_BASE_CFG, 8);
        smmu.write64(CMDQ_BASE, CMDQ | 4);
        smmu.write32(CR1, 0xd75); // queues and tables write-back: command reads snoop
        smmu.write32(CR0, (int) (CR0_SMMUEN | CR0_CMDQEN));
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

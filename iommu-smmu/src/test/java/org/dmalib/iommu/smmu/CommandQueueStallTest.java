package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.dmalib.iommu.smmu.internal.cmdq.CommandQueue;
import org.junit.jupiter.api.Test;

/**
 * A command ring of 128 entries: it wraps many times under a domain's unmaps, and when the SMMU
 * stops consuming (CMDQEN cleared behind the driver's back) a submission fails with the error
 * that says why instead of returning or overwriting unconsumed commands.
 */
class CommandQueueStallTest {
    private static final int RING = 128;
    private static final long PAGE = 4096;
    private static final int SID = 9;
    private final Rig rig = new Rig(new SmmuConfig(false, true, true, false, false, 48, 16, 8, 7,
            7, IotlbGeometry.GEM5));
    private final CommandQueue queue = rig.driver.commandQueue();

    private void stopConsuming() {
        SmmuProgramming regs = SmmuProgramming.of(rig.smmu);
        int cr0 = regs.readRegister(SmmuRegisters.CR0);
        regs.writeRegister(SmmuRegisters.CR0, cr0 & ~(int) SmmuRegisters.CR0_CMDQEN);
    }

    private static List<TlbCommand> pages(int n) {
        List<TlbCommand> plan = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            plan.add(TlbCommand.TlbiNhVa.page(1, (long) i << 12, true));
        }
        return plan;
    }

    @Test
    void a_small_ring_wraps_many_times_and_every_unmap_still_invalidates() {
        assertEquals(7, queue.log2());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        SmmuDriverCounters before = rig.driver.counters();
        for (int round = 0; round < 100; round++) {
            long iova = (round % 7) * 16L * PAGE;
            domain.map(iova, Rig.DATA, 5 * PAGE, IommuProt.READ);
            Rig.assertReads(port, iova, 5 * PAGE, PAGE, DmaStatus.OK);
            domain.unmap(iova, 5 * PAGE); // five TLBI_NH_VA (no RIL) and a sync
            Rig.assertReads(port, iova, 5 * PAGE, PAGE, DmaStatus.ABORT);
        }
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(500, d.tlbiNhVa());
        assertEquals(100, d.cmdSyncs());
        assertTrue(d.tlbiNhVa() + d.cmdSyncs() > 4 * RING, "the ring wrapped");
        assertEquals(0, d.commandErrors());
    }

    @Test
    void a_sync_the_smmu_never_consumes_is_a_timeout_naming_cons_and_prod() {
        queue.submit(List.of()); // PROD and CONS at 2 after probe's own syncs, now 3
        stopConsuming();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> queue.submit(pages(2)));
        assertTrue(e.getMessage().startsWith("CMD_SYNC timeout: CONS=0x"), e.getMessage());
        assertTrue(e.getMessage().endsWith("PROD=0x" + Long.toHexString(
                SmmuProgramming.of(rig.smmu).readRegister(SmmuRegisters.CMDQ_PROD))),
                e.getMessage());
    }

    @Test
    void a_stalled_ring_takes_commands_up_to_its_size_and_then_is_reported_full() {
        stopConsuming();
        // 127 commands and their sync fill the 128 entries exactly: the ring takes them all
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> queue.submit(pages(RING - 1)));
        assertTrue(e.getMessage().startsWith("CMD_SYNC timeout"), e.getMessage());
        assertEquals(RING - 1, queue.counts().tlbiNhVa());
    }

    @Test
    void a_stalled_ring_is_reported_full_before_an_entry_is_overwritten() {
        stopConsuming();
        long batches = queue.counts().batches();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> queue.submit(pages(3 * 64)));
        assertTrue(e.getMessage().startsWith("command queue full: CONS does not advance"),
                e.getMessage());
        CommandQueue.QueueCounts c = queue.counts();
        assertEquals(RING, c.tlbiNhVa(), "two batches of 64 fill the ring; the third waits");
        assertEquals(batches + 2, c.batches());
    }
}

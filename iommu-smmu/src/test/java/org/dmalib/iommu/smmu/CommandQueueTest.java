package org.dmalib.iommu.smmu;

import static org.dmalib.hw.smmu.CommandLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.dmalib.iommu.smmu.internal.cmdq.CommandQueue;
import org.dmalib.iommu.smmu.internal.cmdq.Commands;
import org.junit.jupiter.api.Test;

/** The driver's command queue: batches, the final sync, its counts, and the command encodings. */
class CommandQueueTest {
    private final Rig rig = new Rig(SmmuConfig.gem5());
    private final CommandQueue queue = rig.driver.commandQueue();

    private CommandQueue.QueueCounts delta(CommandQueue.QueueCounts before) {
        CommandQueue.QueueCounts now = queue.counts();
        return new CommandQueue.QueueCounts(now.tlbiNhVa() - before.tlbiNhVa(),
                now.tlbiNhAsid() - before.tlbiNhAsid(), now.tlbiNhAll() - before.tlbiNhAll(),
                now.cfgi() - before.cfgi(), now.syncs() - before.syncs(),
                now.other() - before.other(), now.batches() - before.batches(),
                now.errors() - before.errors());
    }

    @Test
    void an_empty_plan_is_one_sync_in_one_batch() {
        CommandQueue.QueueCounts before = queue.counts();
        queue.submit(List.of());
        assertEquals(new CommandQueue.QueueCounts(0, 0, 0, 0, 1, 0, 1, 0), delta(before));
    }

    @Test
    void a_long_plan_goes_64_commands_a_batch_and_only_the_last_batch_has_a_sync() {
        List<TlbCommand> plan = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            plan.add(TlbCommand.TlbiNhVa.page(1, (long) i << 12, true));
        }
        plan.add(new TlbCommand.CmdSync());
        CommandQueue.QueueCounts before = queue.counts();
        queue.submit(plan);
        assertEquals(new CommandQueue.QueueCounts(130, 0, 0, 0, 1, 0, 3, 0), delta(before));
    }

    @Test
    void an_unknown_command_counts_as_other_and_as_an_error() {
        CommandQueue.QueueCounts before = queue.counts();
        queue.submitEncoded(List.of(new Commands.Command(0x7f, 0)));
        assertEquals(new CommandQueue.QueueCounts(0, 0, 0, 0, 1, 1, 1, 1), delta(before));
    }

    @Test
    void reading_the_counts_leaves_the_queue_free_for_another_thread() throws Exception {
        CommandQueue.QueueCounts before = queue.counts();
        CompletableFuture.runAsync(() -> queue.submit(asidWide()))
                .get(10, TimeUnit.SECONDS);
        assertEquals(1, delta(before).tlbiNhAsid());
    }

    private static List<TlbCommand> asidWide() {
        return List.of(new TlbCommand.TlbiNhAsid(1), new TlbCommand.CmdSync());
    }

    @Test
    void a_ring_of_64_entries_is_refused_and_128_taken() {
        SmmuProgramming regs = SmmuProgramming.of(rig.smmu);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CommandQueue(regs, rig.machine.memory(), 0, 6));
        assertTrue(e.getMessage().contains("log2=6"), e.getMessage());
        assertEquals(7, new CommandQueue(regs, rig.machine.memory(), 0, 7).log2());
    }

    @Test
    void commands_are_encoded_with_their_fields() {
        Commands.Command cd = Commands.cfgiCd(7);
        assertEquals(OP_CFGI_CD, cd.opcode());
        assertEquals(7, Fields.get(CFGI_0_SID, cd.d0()));
        assertEquals(CFGI_1_LEAF, cd.d1());
        Commands.Command ste = Commands.cfgiSte(9);
        assertEquals(9, Fields.get(CFGI_0_SID, ste.d0()));
        assertEquals(new Commands.Command(OP_TLBI_NH_ALL, 0), Commands.encode(new TlbCommand.TlbiNhAll()));
        assertEquals(Commands.sync(), Commands.encode(new TlbCommand.CmdSync()));
        assertEquals(OP_TLBI_NH_ASID, Commands.encode(new TlbCommand.TlbiNhAsid(3)).opcode());
    }

    @Test
    void an_illegal_command_is_replaced_in_the_ring_by_a_whole_cmd_sync() {
        SmmuProgramming regs = SmmuProgramming.of(rig.smmu);
        long base = regs.readRegister64(SmmuRegisters.CMDQ_BASE) & SmmuRegisters.Q_BASE_ADDR;
        int log2 = (int) Fields.get(SmmuRegisters.Q_BASE_LOG2SIZE,
                regs.readRegister64(SmmuRegisters.CMDQ_BASE));
        long index = regs.readRegister(SmmuRegisters.CMDQ_PROD) & ((1L << log2) - 1);
        long slot = base + index * 16;
        queue.submitEncoded(List.of(new Commands.Command(0x7f, 0x1234_5678L)));
        Commands.Command sync = Commands.sync();
        assertEquals(sync.d0(), rig.machine.memory().readLong(slot));
        assertEquals(sync.d1(), rig.machine.memory().readLong(slot + 8));
        assertEquals(1, queue.counts().errors());
    }
}

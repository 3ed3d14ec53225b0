package org.dmalib.iommu.smmu.internal.cmdq;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import java.util.List;
import java.util.function.IntFunction;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.smmu.CommandLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.dmalib.iommu.smmu.internal.jfr.SubmissionEvent;

/**
 * The driver's side of the SMMUv3 command queue: a ring of {@code 2^log2} 16-byte entries in RAM,
 * written at PROD (with its wrap bit) through the non-cacheable alias, published by writing
 * {@code CMDQ_PROD}, and completed by polling {@code CMDQ_CONS} (reference linux-dma-iommu.md
 * §5.5).
 *
 * <p>Batching follows {@code arm_smmu_cmdq_batch}: commands are issued 64 at a time without a
 * sync; the last issue of a submission carries {@code CMD_SYNC} and waits until CONS has passed
 * it. A command error (CONS.ERR with GERROR.CMDQ_ERR active) is recovered as
 * {@code __arm_smmu_cmdq_skip_err} does: counted and logged, the bad command replaced by a
 * CMD_SYNC, GERROR acknowledged through GERRORN, and consumption resumes.
 *
 * <p>Thread-safety: safe for concurrent use. One lock serialises submissions, so the commands of
 * one submission are contiguous in the queue and its sync covers them. Linux's lock-free
 * multi-producer insertion ({@code arm_smmu_cmdq_issue_cmdlist}: cmpxchg on PROD, valid bitmap,
 * owner hand-over) is not modelled; it changes who writes PROD, not what the SMMU sees.
 */
public final class CommandQueue {
    /** CMDQ_BATCH_ENTRIES = BITS_PER_LONG = 64 (arm-smmu-v3.h). */
    public static final int BATCH_ENTRIES = 64;

    private static final System.Logger LOG = System.getLogger(CommandQueue.class.getName());
    // a bound on CONS polls without progress: the model consumes at the doorbell, so one poll
    // suffices; Linux gives up after ARM_SMMU_POLL_TIMEOUT_US = 1 s ("CMD_SYNC timeout")
    private static final int POLL_LIMIT = 1_000;

    private final SmmuProgramming regs;
    private final PhysicalMemory ram;
    private final long base;
    private final int log2;
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] batch = new long[2 * BATCH_ENTRIES]; // guarded by lock

    // all guarded by lock
    private long prod; // wrap bit and index, as written to CMDQ_PROD
    private long tlbiNhVa;
    private long tlbiNhAsid;
    private long tlbiNhAll;
    private long cfgi;
    private long syncs;
    private long other;
    private long batches;
    private long errors;

    /**
     * Wraps a queue the caller has allocated and programmed ({@code CMDQ_BASE}, PROD = CONS = 0)
     * but not yet enabled.
     *
     * @param regs the SMMU's registers
     * @param ram where the ring lives (written directly: the non-cacheable alias)
     * @param base the ring's physical address, aligned to its size
     * @param log2 log2 of the entries: more than log2({@link #BATCH_ENTRIES}), so one batch and
     *     its sync fit (Linux refuses "command queue size &lt;= 64 entries")
     * @throws IllegalArgumentException naming {@code log2} if the ring is too small
     */
    public CommandQueue(SmmuProgramming regs, PhysicalMemory ram, long base, int log2) {
        this.regs = Objects.requireNonNull(regs, "regs");
        this.ram = Objects.requireNonNull(ram, "ram");
        if (log2 <= Integer.numberOfTrailingZeros(BATCH_ENTRIES)) {
            throw new IllegalArgumentException("command queue log2=" + log2
                    + ": queues of <= 64 entries are not supported");
        }
        this.base = base;
        this.log2 = log2;
    }

    /** {@return log2 of the number of entries} */
    public int log2() {
        return log2;
    }

    /**
     * Submits an invalidation plan: every command but a final {@code CMD_SYNC} goes through the
     * batch; the final issue carries a sync and waits for it (also when the plan lacks one).
     *
     * @param plan the commands, normally ending in {@link TlbCommand.CmdSync}
     * @throws IllegalStateException if the SMMU stops consuming (a CMD_SYNC timeout)
     */
    public void submit(List<TlbCommand> plan) {
        int n = plan.size();
        if (n > 0 && plan.get(n - 1) instanceof TlbCommand.CmdSync) {
            n--; // the batch's own final sync stands for it
        }
        submitSynced(n, i -> Commands.encode(plan.get(i)));
    }

    /**
     * Submits already encoded commands, batched like {@link #submit}, then a CMD_SYNC, and waits.
     *
     * @param commands the commands, in order
     * @throws IllegalStateException if the SMMU stops consuming (a CMD_SYNC timeout)
     */
    public void submitEncoded(List<Commands.Command> commands) {
        submitSynced(commands.size(), commands::get);
    }

    /**
     * Batches {@code n} commands, produced on demand (a per-page plan of a teardown is never
     * materialised), then issues the last batch with a CMD_SYNC and waits; records the
     * submission event.
     */
    private void submitSynced(int n, IntFunction<Commands.Command> command) {
        SubmissionEvent event = new SubmissionEvent();
        event.start();
        lock.lock();
        try {
            long written = written();
            long rung = batches;
            long failed = errors;
            int queued = 0;
            for (int i = 0; i < n; i++) {
                queued = add(command.apply(i), queued);
            }
            issue(queued, true);
            event.finish(written() - written, batches - rung, errors - failed);
        } finally {
            lock.unlock();
        }
    }

    /** {@return the counts so far, taken atomically with respect to submissions} */
    public QueueCounts counts() {
        lock.lock();
        try {
            return new QueueCounts(tlbiNhVa, tlbiNhAsid, tlbiNhAll, cfgi, syncs, other, batches,
                    errors);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Snapshot of the queue's counters.
     *
     * <p>Thread-safety: immutable; safe to share between threads.
     *
     * @param tlbiNhVa TLBI_NH_VA commands written
     * @param tlbiNhAsid TLBI_NH_ASID commands written
     * @param tlbiNhAll TLBI_NH_ALL and TLBI_NSNH_ALL commands written
     * @param cfgi CFGI_* commands written
     * @param syncs CMD_SYNC commands written (replacements of bad commands excluded)
     * @param other other commands written (no driver path issues any; raw tests may)
     * @param batches doorbells: writes of CMDQ_PROD
     * @param errors command errors recovered
     */
    public record QueueCounts(long tlbiNhVa, long tlbiNhAsid, long tlbiNhAll, long cfgi,
            long syncs, long other, long batches, long errors) {}

    // -- under lock --

    /** Commands written so far, for the submission trace event. */
    private long written() {
        return tlbiNhVa + tlbiNhAsid + tlbiNhAll + cfgi + syncs + other;
    }

    private int add(Commands.Command c, int queued) {
        int n = queued;
        if (n == BATCH_ENTRIES) {
            issue(n, false); // arm_smmu_cmdq_batch_add: a full batch goes without a sync
            n = 0;
        }
        batch[2 * n] = c.d0();
        batch[2 * n + 1] = c.d1();
        return n + 1;
    }

    /** Writes {@code n} batched commands (plus a CMD_SYNC if {@code sync}) and rings. */
    private void issue(int n, boolean sync) {
        int total = n + (sync ? 1 : 0);
        if (total == 0) {
            return;
        }
        waitForSpace(total);
        for (int i = 0; i < n; i++) {
            write(batch[2 * i], batch[2 * i + 1]);
        }
        if (sync) {
            Commands.Command s = Commands.sync();
            write(s.d0(), s.d1());
        }
        // dma_wmb() before the doorbell: the entries are in RAM before PROD says so; the model
        // runs the SMMU in this thread at the register write, so program order suffices
        regs.writeRegister(CMDQ_PROD, (int) prod);
        batches++;
        recoverErrors(); // the GERROR interrupt Linux would take now
        if (sync) {
            waitForConsumed(); // CMD_SYNC completion: CONS has passed the sync
        }
    }

    private void write(long d0, long d1) {
        long slot = base + (prod & indexMask()) * CMDQ_ENTRY_BYTES;
        ram.writeLong(slot, d0);
        ram.writeLong(slot + Long.BYTES, d1);
        count((int) Fields.get(CommandLayout.OP, d0));
        prod = (prod + 1) & wrapAndIndexMask();
    }

    private void count(int op) {
        switch (op) {
            case CommandLayout.OP_TLBI_NH_VA -> tlbiNhVa++;
            case CommandLayout.OP_TLBI_NH_ASID -> tlbiNhAsid++;
            case CommandLayout.OP_TLBI_NH_ALL, CommandLayout.OP_TLBI_NSNH_ALL -> tlbiNhAll++;
            case CommandLayout.OP_CFGI_STE, CommandLayout.OP_CFGI_STE_RANGE,
                    CommandLayout.OP_CFGI_CD, CommandLayout.OP_CFGI_CD_ALL -> cfgi++;
            case CommandLayout.OP_CMD_SYNC -> syncs++;
            default -> other++;
        }
    }

    private void waitForSpace(int entries) {
        for (int polls = 0; polls < POLL_LIMIT; polls++) {
            long cons = regs.readRegister(CMDQ_CONS) & wrapAndIndexMask();
            long used = (prod - cons) & wrapAndIndexMask();
            if ((1L << log2) - used >= entries) {
                return;
            }
            recoverErrors();
        }
        throw new IllegalStateException("command queue full: CONS does not advance (prod=0x"
                + Long.toHexString(prod) + ")");
    }

    private void waitForConsumed() {
        for (int polls = 0; polls < POLL_LIMIT; polls++) {
            // readl_relaxed of CONS; the control dependency orders later accesses after it
            long cons = regs.readRegister(CMDQ_CONS) & wrapAndIndexMask();
            if (cons == prod) {
                return;
            }
            recoverErrors();
        }
        throw new IllegalStateException("CMD_SYNC timeout: CONS=0x"
                + Integer.toHexString(regs.readRegister(CMDQ_CONS)) + " PROD=0x"
                + Long.toHexString(prod));
    }

    /** {@code arm_smmu_gerror_handler} + {@code __arm_smmu_cmdq_skip_err}, until none active. */
    private void recoverErrors() {
        for (int polls = 0; polls < POLL_LIMIT; polls++) {
            int gerror = regs.readRegister(GERROR);
            int active = gerror ^ regs.readRegister(GERRORN);
            if ((active & GERROR_CMDQ_ERR) == 0) {
                return;
            }
            int cons = regs.readRegister(CMDQ_CONS);
            int error = (int) Fields.get(CMDQ_CONS_ERR, cons);
            long slot = base + (cons & indexMask()) * CMDQ_ENTRY_BYTES;
            errors++;
            if (error == CERROR_ILL) {
                LOG.log(System.Logger.Level.ERROR, String.format(
                        "CMDQ error (cons 0x%08x): Illegal command; skipping command: 0x%016x 0x%016x",
                        cons, ram.readLong(slot), ram.readLong(slot + Long.BYTES)));
                Commands.Command s = Commands.sync();
                ram.writeLong(slot, s.d0()); // replace the bad command with a CMD_SYNC
                ram.writeLong(slot + Long.BYTES, s.d1());
            } else {
                // CERROR_ABT: the fetch aborted; Linux retries it as is
                LOG.log(System.Logger.Level.ERROR, String.format(
                        "CMDQ error (cons 0x%08x): error %d; retrying", cons, error));
            }
            // acknowledge: GERRORN = GERROR; the model resumes consumption at this write
            regs.writeRegister(GERRORN, gerror);
        }
        throw new IllegalStateException("command queue keeps failing at CONS=0x"
                + Integer.toHexString(regs.readRegister(CMDQ_CONS)));
    }

    private long indexMask() {
        return (1L << log2) - 1;
    }

    private long wrapAndIndexMask() {
        return (1L << (log2 + 1)) - 1;
    }
}

package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.CommandLayout.*;
import static org.dmalib.hw.smmu.SmmuRegisters.*;

import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.internal.jfr.SmmuTrace;
import org.dmalib.hw.smmu.Fields;

/**
 * The command queue: a ring of 16-byte commands in RAM (SMMU_CMDQ_BASE/PROD/CONS). A write to
 * PROD is the doorbell: the SMMU consumes synchronously, in order, every command from CONS up to
 * PROD, so when the write returns CONS has reached PROD and every CMD_SYNC in between has
 * completed.
 *
 * <p>An illegal command (unknown or unsupported opcode, SSEC set, CMD_SYNC with CS = 0b11) or a
 * fetch outside memory stops consumption at that command: CONS points at it, CONS.ERR holds
 * CERROR_ILL or CERROR_ABT, and GERROR.CMDQ_ERR becomes active. Nothing further is consumed
 * until the driver acknowledges by writing GERRORN (typically after replacing the command with a
 * CMD_SYNC, as Linux's {@code __arm_smmu_cmdq_skip_err} does); consumption then resumes at CONS.
 * A CMD_SYNC whose MSI write falls outside memory is no command error: it completes, and
 * GERROR.MSI_CMDQ_ABT_ERR becomes active.
 *
 * <p>A CMD_SYNC with CS = IRQ and an MSI address writes MSIDATA there with the memory type of
 * its own MSIATTR (the CR1 queue attributes apply to the command reads only).
 *
 * <p>Range fields of TLBI_NH_VA/VAA (NUM, SCALE, TG, TTL) are honoured only when IDR3.RIL is
 * advertised; without RIL they are ignored (RES0 fields are ignored by the SMMU) and the command
 * invalidates the translations containing ADDRESS.
 *
 * <p>Not thread-safe: the owning SMMU serialises access.
 */
final class CommandQueue {
    // TG 1/2/3 select 4/16/64 KiB: granule shift = 10 + 2 * TG (Linux: TG = (tg - 10) / 2)
    private static final int TG_BASE_SHIFT = 10;
    // no TTB0 entry lies at or above 2^48 and no TTB1 entry below 2^64 - 2^48 (TxSZ >= 16):
    // clamp command ranges to the bottom and top 2^52 bytes
    private static final long VA_LIMIT = 1L << 52;

    private final SmmuConfig config;
    private final Registers regs;
    private final SmmuBus bus;
    private final SmmuStats stats;
    private final Iotlb iotlb;
    private final ConfigCache configs;
    private final SyncWindow window;
    // run before a CMD_SYNC signals its completion by MSI: fences the bursts in flight
    private final Runnable beforeSignal;

    private final long[] entry = new long[2]; // the command being executed, reused
    private long base;
    private long prod;
    private long cons;

    /**
     * Creates the queue; {@code beforeSignal} runs before a CMD_SYNC writes its MSI, the one
     * completion signal another thread can see before the doorbell's register write returns.
     */
    CommandQueue(SmmuConfig config, Registers regs, SmmuBus bus, SmmuStats stats, Iotlb iotlb,
            ConfigCache configs, Runnable beforeSignal) {
        this.config = config;
        this.regs = regs;
        this.bus = bus;
        this.stats = stats;
        this.iotlb = iotlb;
        this.configs = configs;
        this.window = new SyncWindow(stats);
        this.beforeSignal = beforeSignal;
    }

    static boolean handles32(int offset) {
        return offset == CMDQ_PROD || offset == CMDQ_CONS;
    }

    int read32(int offset) {
        return (int) (offset == CMDQ_PROD ? prod : cons);
    }

    void write32(int offset, int value) {
        long v = value & 0xffff_ffffL;
        if (offset == CMDQ_PROD) {
            prod = v & wrapAndIndexMask();
        } else if (!regs.commandQueueEnabled()) { // CONS belongs to the SMMU while enabled
            cons = v & (wrapAndIndexMask() | CMDQ_CONS_ERR);
        }
    }

    long readBase() {
        return base;
    }

    void writeBase(long value) {
        base = value & (Q_BASE_ADDR | Q_BASE_LOG2SIZE | Fields.mask(62, 62));
    }

    /** Consumes commands from CONS up to PROD, unless disabled or stopped by an error. */
    void consume() {
        if (!regs.commandQueueEnabled()) {
            return;
        }
        int log2 = log2Size();
        long wrapAndIndex = wrapAndIndexMask();
        long ringBase = base & Q_BASE_ADDR & ~(((long) CMDQ_ENTRY_BYTES << log2) - 1);
        boolean coherent = regs.queueCoherent();
        while (!regs.errorActive(GERROR_CMDQ_ERR) && ((cons ^ prod) & wrapAndIndex) != 0) {
            long slot = ringBase + (cons & ((1L << log2) - 1)) * CMDQ_ENTRY_BYTES;
            int error;
            if (!bus.inRange(slot, CMDQ_ENTRY_BYTES)) {
                error = CERROR_ABT;
            } else {
                bus.readLongs(slot, entry, coherent);
                error = execute(entry[0], entry[1]);
            }
            if (error != CERROR_NONE) {
                cons = (cons & wrapAndIndex) | Fields.prep(CMDQ_CONS_ERR, error);
                regs.raiseError(GERROR_CMDQ_ERR);
                stats.commandErrors++;
                return;
            }
            stats.commands++;
            cons = (cons & ~wrapAndIndex) | ((cons + 1) & wrapAndIndex);
        }
    }

    /** Executes one command; returns CERROR_NONE or the command error. */
    private int execute(long d0, long d1) {
        if (Fields.test(SSEC, d0)) {
            return CERROR_ILL; // no secure side: every secure command is illegal
        }
        int op = (int) Fields.get(OP, d0);
        long dropped = stats.tlbEntriesInvalidated; // for the TLBI trace events
        switch (op) {
            case OP_PREFETCH_CFG, OP_PREFETCH_ADDR -> stats.otherCommands++; // hints, no effect
            case OP_CFGI_STE -> {
                configs.invalidateSte(Fields.get(CFGI_0_SID, d0), Fields.test(CFGI_1_LEAF, d1));
                stats.cfgiSte++;
            }
            case OP_CFGI_STE_RANGE -> {
                configs.invalidateSteRange(Fields.get(CFGI_0_SID, d0),
                        (int) Fields.get(CFGI_1_RANGE, d1));
                stats.cfgiSte++;
            }
            case OP_CFGI_CD, OP_CFGI_CD_ALL -> {
                configs.invalidateCd(Fields.get(CFGI_0_SID, d0));
                stats.cfgiCd++;
            }
            case OP_TLBI_NH_ALL, OP_TLBI_NSNH_ALL -> {
                iotlb.invalidateAsid(-1); // stage 1 only, one VMID: everything
                stats.tlbiNhAll++;
                traceTlbi(d0, d1, dropped);
            }
            case OP_TLBI_NH_ASID -> {
                iotlb.invalidateAsid(asid(d0));
                stats.tlbiNhAsid++;
                traceTlbi(d0, d1, dropped);
            }
            case OP_TLBI_NH_VA -> {
                invalidateVa(asid(d0), d0, d1);
                stats.tlbiNhVa++;
                traceTlbi(d0, d1, dropped);
            }
            case OP_TLBI_NH_VAA -> {
                invalidateVa(-1, d0, d1);
                stats.tlbiNhVaa++;
                traceTlbi(d0, d1, dropped);
            }
            case OP_CMD_SYNC -> {
                return sync(d0, d1);
            }
            default -> {
                // unknown, or needs a feature not advertised: EL2 (IDR0.HYP), stage 2 (S2P),
                // ATS (ATC_INV), PRI (PRI_RESP), stall (RESUME, STALL_TERM)
                return CERROR_ILL;
            }
        }
        return CERROR_NONE;
    }

    private int sync(long d0, long d1) {
        int cs = (int) Fields.get(SYNC_0_CS, d0);
        if (cs != SYNC_CS_NONE && cs != SYNC_CS_IRQ && cs != SYNC_CS_SEV) {
            return CERROR_ILL; // CS = 0b11 is reserved
        }
        // every earlier command has completed (consumption is synchronous); signal completion
        stats.cmdSyncs++;
        long msiAddr = d1 & SYNC_1_MSIADDR;
        if (cs == SYNC_CS_IRQ && msiAddr != 0) {
            if (bus.inRange(msiAddr, Integer.BYTES)) {
                // the MSI is visible at once to other threads: the transactions that used a
                // translation invalidated before this CMD_SYNC are fenced first (SMMUv3)
                beforeSignal.run();
                bus.write(msiAddr, Fields.get(SYNC_0_MSIDATA, d0), Integer.BYTES,
                        msiCoherent(d0));
            } else {
                // the MSI write aborts; the CMD_SYNC has still completed (SMMU_GERROR)
                regs.raiseError(GERROR_MSI_CMDQ_ABT_ERR);
            }
        }
        window.close(d0);
        return CERROR_NONE;
    }

    /**
     * Returns whether the MSI write of the CMD_SYNC {@code d0} snoops CPU caches: COHACC and an
     * inner-cacheable CMD_SYNC.MSIATTR. The MSI takes the command's own MSIATTR/MSH (IHI 0070
     * CMD_SYNC), not the SMMU_CR1 queue attributes the command was read with. MSH, like every
     * shareability field here, has no effect: the model has one coherent domain.
     */
    private boolean msiCoherent(long d0) {
        int attr = (int) Fields.get(SYNC_0_MSIATTR, d0);
        // outer 0b00 is Device; inner 0b10 (WT) and 0b11 (WB) are cacheable, 0b01 is not
        return config.coherentWalk() && (attr >>> 2) != 0 && (attr & 2) != 0;
    }

    private void traceTlbi(long d0, long d1, long droppedBefore) {
        SmmuTrace.tlbInvalidation(d0, d1, config.rangeInvalidation(),
                stats.tlbEntriesInvalidated - droppedBefore);
    }

    private void invalidateVa(int asid, long d0, long d1) {
        long address = d1 & TLBI_1_VA;
        boolean leafOnly = Fields.test(TLBI_1_LEAF, d1);
        int tg = (int) Fields.get(TLBI_1_TG, d1);
        long start;
        long end;
        int ttl = 0;
        if (config.rangeInvalidation() && tg != 0) {
            // range form: (NUM + 1) * 2^SCALE pages of the TG granule from ADDRESS
            int tgShift = TG_BASE_SHIFT + 2 * tg;
            long pages = (Fields.get(TLBI_0_NUM, d0) + 1) << Fields.get(TLBI_0_SCALE, d0);
            start = address & -(1L << tgShift);
            end = start + (pages << tgShift);
            ttl = (int) Fields.get(TLBI_1_TTL, d1);
        } else {
            // not a range: the translations containing ADDRESS (any level)
            start = address;
            end = address + 1;
        }
        if (start >= 0) { // the TTB0 half
            if (start < VA_LIMIT) { // else no translation can exist there
                iotlb.invalidateRange(asid, start, Math.min(end, VA_LIMIT), ttl, leafOnly);
            }
            return;
        }
        // the TTB1 half: a range reaching 2^64 wraps end to 0 or above; -1 (2^64 - 1) still
        // reaches every entry of the last page, as entries cover 4 KiB at least
        long top = Long.compareUnsigned(end, start) <= 0 ? -1 : end;
        long bottom = Math.max(start, -VA_LIMIT); // both negative: signed order is address order
        if (bottom < top) {
            iotlb.invalidateRange(asid, bottom, top, ttl, leafOnly);
        }
    }

    private int asid(long d0) {
        return (int) Fields.get(TLBI_0_ASID, d0) & ((1 << config.asidBits()) - 1);
    }

    private int log2Size() {
        return (int) Math.min(Fields.get(Q_BASE_LOG2SIZE, base), config.commandQueueLog2());
    }

    private long wrapAndIndexMask() {
        return (1L << (log2Size() + 1)) - 1;
    }
}

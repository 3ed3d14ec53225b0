package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import java.util.List;
import java.util.Objects;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.internal.CoherenceFabric;
import org.dmalib.hw.internal.SyncEpoch;
import org.dmalib.hw.internal.Translation;

/**
 * The hardware model's SMMUv3: register file, configuration cache, translation caches, walker,
 * command and event queues, and the {@link Translation} that streams attached behind it use.
 *
 * <p>Translation of one access (per 4 KiB piece, by {@link org.dmalib.hw.internal.StreamPort}):
 * with SMMUEN clear, GBPA decides bypass or abort; else the STE (config cache, else stream table
 * in RAM) says abort, bypass or stage 1; for stage 1 the CD gives ASID and tables, the micro-TLB,
 * main TLB and walk cache are tried, then the walker; permissions are checked against the access.
 * A fault raises an event and returns an abort: nothing reaches memory. The last micro-TLB hit
 * is replayed without the look-ups, and without the lock, while nothing it depends on has
 * changed (no register write, the same cached STE and CD, an unchanged micro-TLB): the same
 * result and counters as the look-ups, for a device streaming through one page.
 *
 * <p>Thread-safety: safe for concurrent use. One lock per SMMU serialises full translations,
 * register accesses and command consumption (QEMU holds one mutex per SMMU the same way); the
 * SMMU takes the coherence fabric's lock inside its own for coherent accesses, never the other
 * way round.
 * A replayed hit takes no lock: every locked operation that changes what the replay depends on
 * withdraws it before the lock is released (see {@link #dropStaleReplay}), so an access that
 * starts after such an operation has completed cannot see the old translation.
 */
public final class SmmuDevice implements Smmu, Translation {
    private static final long ABORT = -1;
    // the smallest granule: every TLB entry covers whole pages of this size
    private static final int PAGE_SHIFT = 12;

    private final Object lock = new Object();
    private final CoherenceFabric fabric;
    private final SmmuConfig config;
    private final SmmuStats stats = new SmmuStats();
    private final Registers regs;
    private final EventQueue events;
    private final ConfigCache configs;
    private final Iotlb iotlb;
    private final Walker walker;
    private final CommandQueue commands;
    // The last stage-1 translation the micro-TLB answered, replayed (same counters, same
    // result) while everything it came from is unchanged. Written under lock, read without it:
    // volatile, so that a withdrawal under the lock is seen by every access that starts after
    // the withdrawing operation has released the lock. Null: nothing to replay.
    private volatile Replay replay;
    // advanced after every register write whose consumption completed a CMD_SYNC, and before
    // a CMD_SYNC's MSI write
    private final SyncEpoch epoch = new SyncEpoch();
    // the CMD_SYNCs completed when the epoch last advanced (guarded by lock)
    private long fencedSyncs;

    /**
     * A micro-TLB hit for one stream and 4 KiB page, and what it came from: the register write
     * count, the micro-TLB's change count and the cached STE and CD (by identity) at the time.
     * {@code privileged} is the STE's, copied so that a replay reads this record alone.
     */
    private record Replay(int streamId, long page, long leaf, boolean privileged,
            long registerWrites, long microChanges, SteState ste, CdState cd) {}

    /**
     * Creates an SMMU in its reset state (SMMUEN clear, GBPA bypass, empty caches).
     *
     * @param config what to build
     * @param fabric the memory system it reads tables and queues from
     */
    public SmmuDevice(SmmuConfig config, CoherenceFabric fabric) {
        this.config = Objects.requireNonNull(config, "config");
        this.fabric = Objects.requireNonNull(fabric, "fabric");
        SmmuBus bus = new SmmuBus(fabric);
        this.regs = new Registers(config);
        this.events = new EventQueue(config, regs, bus, stats);
        this.configs = new ConfigCache(config, regs, bus, events, stats);
        this.iotlb = new Iotlb(config.iotlb(), stats);
        this.walker = new Walker(bus, iotlb, stats);
        this.commands = new CommandQueue(config, regs, bus, stats, iotlb, configs,
                this::fenceCompletedSyncs);
    }

    @Override
    public SmmuConfig config() {
        return config;
    }

    @Override
    public SmmuCounters counters() {
        synchronized (lock) {
            return stats.snapshot();
        }
    }

    @Override
    public List<SmmuEvent> events() {
        synchronized (lock) {
            return events.snapshot();
        }
    }

    /**
     * Returns whether this SMMU sits on {@code other}'s memory system.
     *
     * @param other a coherence fabric
     * @return whether it is this SMMU's
     */
    public boolean isOn(CoherenceFabric other) {
        return fabric == other;
    }

    // -- MMIO --

    /**
     * Reads a 32-bit register.
     *
     * @param offset the register offset ({@link org.dmalib.hw.smmu.SmmuRegisters})
     * @return the value
     * @throws IllegalArgumentException if there is no 32-bit register at {@code offset}
     */
    public int read32(int offset) {
        synchronized (lock) {
            if (Registers.handles32(offset)) {
                return regs.read32(offset);
            }
            if (CommandQueue.handles32(offset)) {
                return commands.read32(offset);
            }
            if (EventQueue.handles32(offset)) {
                return events.read32(offset);
            }
            throw noRegister(offset, 32);
        }
    }

    /**
     * Writes a 32-bit register. A write to CMDQ_PROD, to GERRORN or to CR0 consumes the command
     * queue up to PROD before returning; if that completed a CMD_SYNC, the {@link #syncEpoch}
     * advances before the write returns, and before the MSI write of a CMD_SYNC that signals
     * its completion so.
     *
     * @param offset the register offset
     * @param value the value
     * @throws IllegalArgumentException if there is no 32-bit register at {@code offset}
     */
    public void write32(int offset, int value) {
        synchronized (lock) {
            try {
                write32Locked(offset, value);
            } finally {
                fenceCompletedSyncs();
            }
        }
    }

    /**
     * Withdraws a stale replay and then, if a CMD_SYNC has completed since the epoch last
     * advanced, advances it: a burst that translated before now translates again
     * ({@link SyncEpoch}). Runs under the lock, before a register write returns and before a
     * CMD_SYNC's MSI write, the completion signals a driver can see.
     */
    private void fenceCompletedSyncs() {
        dropStaleReplay();
        if (stats.cmdSyncs != fencedSyncs) {
            fencedSyncs = stats.cmdSyncs;
            epoch.advance(fabric);
        }
    }

    /** {@link #write32} under the lock. */
    private void write32Locked(int offset, int value) {
        if (Registers.handles32(offset)) {
            regs.write32(offset, value);
        } else if (CommandQueue.handles32(offset)) {
            commands.write32(offset, value);
        } else if (EventQueue.handles32(offset)) {
            events.write32(offset, value);
        } else {
            throw noRegister(offset, 32);
        }
        if (offset == CMDQ_PROD || offset == GERRORN || offset == CR0) {
            commands.consume();
        }
    }

    /**
     * Reads a 64-bit register.
     *
     * @param offset the register offset
     * @return the value
     * @throws IllegalArgumentException if there is no 64-bit register at {@code offset}
     */
    public long read64(int offset) {
        synchronized (lock) {
            if (offset == CMDQ_BASE) {
                return commands.readBase();
            }
            if (Registers.handles64(offset)) {
                return regs.read64(offset);
            }
            if (EventQueue.handles64(offset)) {
                return events.read64(offset);
            }
            throw noRegister(offset, 64);
        }
    }

    /**
     * Writes a 64-bit register.
     *
     * @param offset the register offset
     * @param value the value
     * @throws IllegalArgumentException if there is no 64-bit register at {@code offset}
     */
    public void write64(int offset, long value) {
        synchronized (lock) {
            try {
                write64Locked(offset, value);
            } finally {
                dropStaleReplay();
            }
        }
    }

    /** {@link #write64} under the lock. */
    private void write64Locked(int offset, long value) {
        if (offset == CMDQ_BASE) {
            commands.writeBase(value);
        } else if (Registers.handles64(offset)) {
            regs.write64(offset, value);
        } else if (EventQueue.handles64(offset)) {
            events.write64(offset, value);
        } else {
            throw noRegister(offset, 64);
        }
    }

    private static IllegalArgumentException noRegister(int offset, int width) {
        return new IllegalArgumentException(String.format(
                "no %d-bit SMMU register at offset 0x%x", width, offset));
    }

    // -- translation --

    /**
     * {@inheritDoc} For this SMMU: advanced before a register write whose command-queue
     * consumption completed a CMD_SYNC returns, and before a CMD_SYNC writes the MSI that
     * signals its completion, so that no burst moves data with a translation an invalidation
     * before that CMD_SYNC withdrew once its completion can be seen (SMMUv3 completes a
     * CMD_SYNC only after such transactions).
     */
    @Override
    public SyncEpoch syncEpoch() {
        return epoch;
    }

    @Override
    public long translate(int streamId, long address, boolean write) {
        Replay r = replay;
        if (r != null && r.streamId == streamId && r.page == address >>> PAGE_SHIFT
                && permits(r.leaf, write, r.privileged)) {
            // exactly what the full path below counts for this micro-TLB hit
            stats.replayedHits.increment();
            return Leaf.output(r.leaf, address);
        }
        synchronized (lock) {
            try {
                return translateFully(streamId, address, write);
            } finally {
                dropStaleReplay(); // a fill or a configuration fetch may have changed its sources
            }
        }
    }

    /**
     * Withdraws the replay if anything it came from has changed: a register write, a change to
     * the micro-TLB, another cached STE or CD for its stream. Every locked operation that can
     * change one of them calls this before releasing the lock.
     */
    // identity, not equality: the very objects the replay was made from must still be cached
    // (a CFGI drops them; a refetch makes new ones)
    @SuppressWarnings("ReferenceEquality")
    private void dropStaleReplay() {
        Replay r = replay;
        if (r != null && (regs.writes() != r.registerWrites
                || iotlb.microChanges() != r.microChanges
                || configs.cachedSte(r.streamId) != r.ste
                || configs.cachedCd(r.streamId) != r.cd)) {
            replay = null;
        }
    }

    /** The whole translation: configuration, TLBs, walk, permission check, fault recording. */
    private long translateFully(int streamId, long address, boolean write) {
        stats.translations++;
        if (!regs.smmuEnabled()) {
            return regs.bypassAborts() ? ABORT : address;
        }
        SteState ste = configs.ste(streamId, address, write);
        if (ste == null) {
            return ABORT;
        }
        if (ste.config() == org.dmalib.hw.smmu.SteLayout.CONFIG_BYPASS) {
            return address;
        }
        if (ste.config() == org.dmalib.hw.smmu.SteLayout.CONFIG_ABORT) {
            return ABORT; // an abort STE records no event
        }
        CdState cd = configs.cd(streamId, ste, address, write);
        if (cd == null) {
            return ABORT;
        }
        long leaf;
        CdState half = cd.select(address); // TTB0 or TTB1
        if (half == null) {
            leaf = -SmmuEvent.Kind.TRANSLATION_FAULT.id(); // a disabled half, or between them
        } else {
            leaf = iotlb.lookup(half.asid(), address, half.granuleShift());
            if (leaf == TlbArray.MISS) {
                leaf = walker.walk(half, address);
                if (leaf >= 0) {
                    iotlb.fill(half.asid(), address, leaf);
                }
            } else if (iotlb.lastHitMicro()) {
                remember(streamId, address, leaf, ste, cd);
            }
        }
        if (leaf >= 0 && !permits(leaf, write, ste.privileged())) {
            leaf = -SmmuEvent.Kind.PERMISSION_FAULT.id();
        }
        if (leaf < 0) {
            SmmuEvent.Kind kind = kindOf((int) -leaf);
            // CD.R silences only translation, address-size, access and permission faults: an
            // external abort of the walk is recorded, with the descriptor address it could not read
            boolean abort = kind == SmmuEvent.Kind.WALK_EXTERNAL_ABORT;
            events.raise(kind, streamId, address, write, ste.privileged(),
                    abort ? walker.abortAddress() : 0, abort || cd.recordFaults());
            return ABORT;
        }
        return Leaf.output(leaf, address);
    }

    /** Makes a micro-TLB hit the one {@link #translate} replays. */
    private void remember(int streamId, long address, long leaf, SteState ste, CdState cd) {
        replay = new Replay(streamId, address >>> PAGE_SHIFT, leaf, ste.privileged(),
                regs.writes(), iotlb.microChanges(), ste, cd);
    }

    /** Returns whether the translation {@code leaf} allows the access. */
    private static boolean permits(long leaf, boolean write, boolean privileged) {
        return (!write || (leaf & Leaf.WRITABLE) != 0) && (privileged || (leaf & Leaf.UNPRIV) != 0);
    }

    private static SmmuEvent.Kind kindOf(int id) {
        for (SmmuEvent.Kind k : SmmuEvent.Kind.values()) {
            if (k.id() == id) {
                return k;
            }
        }
        throw new IllegalStateException("no event kind with id 0x" + Integer.toHexString(id));
    }

    @Override
    public String toString() {
        return "SMMUv3 " + config;
    }
}

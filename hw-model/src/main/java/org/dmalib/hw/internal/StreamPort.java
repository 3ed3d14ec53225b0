package org.dmalib.hw.internal;

import java.util.Objects;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;

/**
 * A DMA master's port: translates the burst page by page, and only if every page translates
 * and lies in memory does any byte move (so an aborted access changes nothing). Behind a
 * translation that can be withdrawn, the bytes move only if no CMD_SYNC completed since the
 * burst began translating; otherwise it translates again ({@link SyncEpoch}), so that no data
 * moves with a translation a completed CMD_SYNC invalidated.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class StreamPort implements DmaPort {
    private static final int PAGE = PhysicalMemory.FRAME_SIZE; // smallest translation granule
    private static final int PAGE_SHIFT = Integer.numberOfTrailingZeros(PAGE);

    private final int streamId;
    private final Coherency coherency;
    private final CoherenceFabric fabric;
    private final PhysicalMemory memory;
    private final Translation translation;
    // null when the translation never withdraws one it handed out (no IOMMU in front)
    private final SyncEpoch epoch;
    private final HwStats stats;

    /**
     * Creates a port.
     *
     * @param streamId the stream ID
     * @param coherency how the stream is attached
     * @param fabric the memory system
     * @param translation the bus-to-physical stage
     * @param stats where to count bytes and aborts
     */
    public StreamPort(int streamId, Coherency coherency, CoherenceFabric fabric,
            Translation translation, HwStats stats) {
        this.streamId = streamId;
        this.coherency = Objects.requireNonNull(coherency, "coherency");
        this.fabric = fabric;
        this.memory = fabric.memory();
        this.translation = Objects.requireNonNull(translation, "translation");
        this.epoch = translation.syncEpoch();
        this.stats = stats;
    }

    @Override
    public int streamId() {
        return streamId;
    }

    @Override
    public Coherency coherency() {
        return coherency;
    }

    @Override
    public DmaStatus read(long address, byte[] dst, int offset, int length) {
        return access(address, dst, offset, length, false);
    }

    @Override
    public DmaStatus write(long address, byte[] src, int offset, int length) {
        return access(address, src, offset, length, true);
    }

    private DmaStatus access(long address, byte[] buf, int offset, int length, boolean write) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        if (length == 0) {
            return DmaStatus.OK;
        }
        // bus addresses are unsigned 64-bit: a burst whose last byte would wrap past 2^64 - 1
        // is no transaction the interconnect can issue, so it aborts before any translation
        long last = address + length - 1;
        if (Long.compareUnsigned(last, address) < 0) {
            stats.dmaAborts.increment();
            return DmaStatus.ABORT;
        }
        // translate every page piece before moving anything: a fault leaves memory untouched
        // (at 2^63 and above too: an SMMU records the fault of an address past its input size)
        int pieces = (int) ((last >>> PAGE_SHIFT) - (address >>> PAGE_SHIFT) + 1);
        if (pieces == 1) { // the common case, without allocation
            while (true) {
                // read before translating: a CMD_SYNC completing after this read makes the
                // move below fail, and the burst translates again (see SyncEpoch)
                long seen = epoch == null ? 0 : epoch.value();
                long p = translation.translate(streamId, address, write);
                if (p < 0 || p > memory.size() - length) {
                    stats.dmaAborts.increment();
                    return DmaStatus.ABORT;
                }
                if (moveIfCurrent(p, buf, offset, length, write, seen)) {
                    countNonCoherent(length, write);
                    return DmaStatus.OK;
                }
            }
        }
        return accessPieces(address, buf, offset, length, write, pieces);
    }

    /** {@link #access} of a burst that crosses into {@code pieces} (at least 2) pages. */
    private DmaStatus accessPieces(long address, byte[] buf, int offset, int length,
            boolean write, int pieces) {
        long[] paddrs = new long[pieces];
        while (true) {
            long seen = epoch == null ? 0 : epoch.value(); // as in access
            int done = 0;
            for (int i = 0; i < pieces; i++) {
                long a = address + done;
                int n = (int) Math.min(length - done, PAGE - (a & (PAGE - 1)));
                long p = translation.translate(streamId, a, write);
                if (p < 0 || p > memory.size() - n) {
                    stats.dmaAborts.increment();
                    return DmaStatus.ABORT;
                }
                paddrs[i] = p;
                done += n;
            }
            if (movePieces(address, paddrs, buf, offset, length, write, seen)) {
                countNonCoherent(length, write);
                return DmaStatus.OK;
            }
        }
    }

    /**
     * Moves every piece of a translated burst, as one fabric transaction when the translation
     * can be withdrawn (and then only if no CMD_SYNC completed since {@code seen}).
     */
    private boolean movePieces(long address, long[] paddrs, byte[] buf, int offset, int length,
            boolean write, long seen) {
        if (epoch == null) {
            moveAll(address, paddrs, buf, offset, length, write);
            return true;
        }
        synchronized (fabric) { // the fabric's own monitor: its moves below re-enter it
            if (epoch.value() != seen) {
                return false;
            }
            moveAll(address, paddrs, buf, offset, length, write);
            return true;
        }
    }

    private void moveAll(long address, long[] paddrs, byte[] buf, int offset, int length,
            boolean write) {
        int done = 0;
        for (int i = 0; i < paddrs.length; i++) {
            long a = address + done;
            int n = (int) Math.min(length - done, PAGE - (a & (PAGE - 1)));
            move(paddrs[i], buf, offset + done, n, write);
            done += n;
        }
    }

    /**
     * Moves one translated piece; when the translation can be withdrawn, only if no CMD_SYNC
     * completed since {@code seen}, checked in the transaction that moves the bytes.
     */
    private boolean moveIfCurrent(long paddr, byte[] buf, int off, int n, boolean write,
            long seen) {
        if (epoch == null) {
            move(paddr, buf, off, n, write);
            return true;
        }
        return fabric.moveIfCurrent(epoch, seen, paddr, buf, off, n, write,
                coherency == Coherency.COHERENT);
    }

    /** Counts the bytes of a whole access; the fabric counts a coherent master's as it moves them. */
    private void countNonCoherent(int length, boolean write) {
        if (coherency != Coherency.COHERENT) {
            (write ? stats.dmaBytesWritten : stats.dmaBytesRead).add(length);
        }
    }

    private void move(long paddr, byte[] buf, int off, int n, boolean write) {
        if (coherency == Coherency.COHERENT) {
            if (write) {
                fabric.dmaWrite(paddr, buf, off, n);
            } else {
                fabric.dmaRead(paddr, buf, off, n);
            }
        } else if (write) {
            memory.write(paddr, buf, off, n);
        } else {
            memory.read(paddr, buf, off, n);
        }
    }

    @Override
    public String toString() {
        return "stream " + streamId + " (" + coherency + ")";
    }
}

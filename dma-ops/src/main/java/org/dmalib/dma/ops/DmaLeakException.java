package org.dmalib.dma.ops;

import java.util.List;

/**
 * A device was detached with mappings or coherent allocations still pending (dma-debug's
 * "device driver has pending DMA allocations while released from device"). The device is
 * detached all the same; the pending mappings stay mapped (the driver may still unmap them) and
 * are listed by {@link #pending()} and in the message.
 */
public final class DmaLeakException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    // transient: the report is for the thrower's caller, not for serialized copies
    private final transient List<PendingMapping> pending;

    /**
     * Creates the report.
     *
     * @param streamId the detached device's stream
     * @param pending what was still mapped, at least one
     */
    public DmaLeakException(int streamId, List<PendingMapping> pending) {
        super(message(streamId, pending));
        this.pending = List.copyOf(pending);
    }

    /** Returns what was still mapped when the device was detached, in mapping order. */
    public List<PendingMapping> pending() {
        return pending == null ? List.of() : pending;
    }

    private static String message(int streamId, List<PendingMapping> pending) {
        StringBuilder sb = new StringBuilder()
                .append("device streamId=").append(streamId)
                .append(" detached with pending=").append(pending.size()).append(" DMA mappings:");
        for (PendingMapping p : pending) {
            sb.append("\n  ").append(p);
        }
        return sb.toString();
    }
}

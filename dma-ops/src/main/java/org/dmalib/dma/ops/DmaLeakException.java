package org.dmalib.dma.ops;

import java.util.List;

/**
 * A device was detached with mappings or coherent allocations still pending (dma-debug's
 * "device driver has pending DMA allocations while released from device"). The device is
 * detached all the same; the pending mappings stay mapped (the driver may still unmap them) and
 * are listed by {@link #pending()} and in the message.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
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
        this(streamId, pending, List.of());
    }

    /**
     * Creates the report, with where each pending mapping was made.
     *
     * @param streamId the detached device's stream
     * @param pending what was still mapped, at least one
     * @param mappedAt for each pending mapping, in the same order, the driver's frames that
     *     made it (the innermost is shown); may be empty when unknown
     */
    public DmaLeakException(int streamId, List<PendingMapping> pending,
            List<List<StackTraceElement>> mappedAt) {
        super(message(streamId, pending, mappedAt));
        this.pending = List.copyOf(pending);
    }

    /** {@return what was still mapped when the device was detached, in mapping order} */
    public List<PendingMapping> pending() {
        return pending == null ? List.of() : pending;
    }

    private static String message(int streamId, List<PendingMapping> pending,
            List<List<StackTraceElement>> mappedAt) {
        StringBuilder sb = new StringBuilder()
                .append("device streamId=").append(streamId)
                .append(" detached with pending=").append(pending.size()).append(" DMA mappings:");
        for (int i = 0; i < pending.size(); i++) {
            sb.append("\n  ").append(pending.get(i));
            if (i < mappedAt.size() && !mappedAt.get(i).isEmpty()) {
                sb.append(" mapped at ").append(mappedAt.get(i).get(0));
            }
        }
        return sb.toString();
    }
}

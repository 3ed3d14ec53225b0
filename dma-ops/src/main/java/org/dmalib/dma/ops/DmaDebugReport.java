package org.dmalib.dma.ops;

import java.util.List;
import java.util.Optional;

/**
 * One DMA-API debug report: which check fired, on which device, about which mapping, made
 * where. Immutable and thread-safe.
 *
 * @param check the check that fired
 * @param streamId the stream of the device whose driver made the call
 * @param mapping the mapping the report is about (as the registry holds it), or empty when the
 *     call matched none
 * @param mappedAt the driver's frames that made {@code mapping}, or that make the call when it
 *     matched no mapping (up to five, innermost first; frames of the DMA API itself are left
 *     out); empty when debugging is off
 * @param message the check's {@linkplain DebugCheck#linuxMessage() Linux message} and the
 *     values, as {@code [name=value]}
 */
public record DmaDebugReport(DebugCheck check, int streamId, Optional<PendingMapping> mapping,
        List<StackTraceElement> mappedAt, String message) {
    /**
     * Copies the frames.
     *
     * @param check the check that fired, not null
     * @param streamId the stream of the device whose driver made the call
     * @param mapping the mapping the report is about, or empty when the call matched none; not
     *     null
     * @param mappedAt the driver's frames that made the mapping or the call, innermost first; not
     *     null, no null element
     * @param message the check's Linux message and the values, not null
     * @throws DmaUsageException if {@code check}, {@code mapping} or {@code message} is null
     * @throws NullPointerException if {@code mappedAt} is null or holds a null
     */
    public DmaDebugReport {
        Checks.notNull(check, "check");
        Checks.notNull(mapping, "mapping");
        mappedAt = List.copyOf(mappedAt);
        Checks.notNull(message, "message");
    }

    /**
     * Returns the report as dma-debug prints it: {@code DMA-API: device streamId=N: message},
     * the mapping, and the frames that made it.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DMA-API: device streamId=").append(streamId)
                .append(": ").append(message);
        mapping.ifPresent(m -> sb.append("\n  mapping: ").append(m));
        if (!mappedAt.isEmpty()) {
            sb.append("\n  mapped at:");
            for (StackTraceElement f : mappedAt) {
                sb.append("\n    ").append(f);
            }
        }
        return sb.toString();
    }
}

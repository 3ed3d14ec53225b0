package org.dmalib.hw;

import java.util.List;
import org.dmalib.hw.internal.smmu.SmmuDevice;

/**
 * An Arm SMMUv3 of the machine, seen from outside: its configuration and what it has done.
 * Built by {@link Machine#addSmmu}; streams are put behind it by
 * {@link Machine#attach(int, Coherency, Smmu)}.
 *
 * <p>Programming the SMMU (registers, stream table, command and event queues) is not part of
 * this interface: only the SMMU driver may do it, through {@code org.dmalib.hw.smmu}.
 *
 * <p>Thread-safety: safe for concurrent use. Only the hardware model implements this interface.
 */
public sealed interface Smmu permits SmmuDevice {
    /** Returns what this SMMU was built from. */
    SmmuConfig config();

    /** Returns a snapshot of the counters; taken atomically with respect to the SMMU. */
    SmmuCounters counters();

    /**
     * Returns the most recent events (at most 4096, oldest first), whether or not they reached
     * the in-memory event queue: an immutable snapshot for tests and reports.
     *
     * @return the events
     */
    List<SmmuEvent> events();
}

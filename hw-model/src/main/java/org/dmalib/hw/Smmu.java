package org.dmalib.hw;

import java.util.List;

/**
 * An Arm SMMUv3 of the machine, seen from outside: its configuration and what it has done.
 * Built by {@link Machine#addSmmu}; streams are put behind it by
 * {@link Machine#attach(int, Coherency, Smmu)}.
 *
 * <p>Programming the SMMU (registers, stream table, command and event queues) is not part of
 * this interface: only the SMMU driver may do it, through {@code org.dmalib.hw.smmu}.
 *
 * <p>Thread-safety: safe for concurrent use. Only the hardware model implements this interface.
 * It is deliberately not {@code sealed}: its implementation lives in another package, and on the
 * class path (benchmarks, class-path users) the JVM allows a sealed type's permitted subclasses
 * only in its own package, so loading the implementation would fail there.
 */
public interface Smmu {
    /** {@return what this SMMU was built from} */
    SmmuConfig config();

    /** {@return a snapshot of the counters; taken atomically with respect to the SMMU} */
    SmmuCounters counters();

    /**
     * Returns the most recent events (at most 4096, oldest first), whether or not they reached
     * the in-memory event queue: an immutable snapshot for tests and reports.
     *
     * @return the events
     */
    List<SmmuEvent> events();
}

package org.dmalib.dma.ops;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.dmalib.dma.ops.internal.jfr.DebugReportEvent;

/**
 * One device's DMA-API debugging: raises reports as its {@link DebugMode} says, keeps them, and
 * captures where mappings are made.
 *
 * <p>In WARN mode only a device's first report is logged, as dma-debug prints only the first
 * error by default; every report is counted, and the first {@value #KEPT_REPORTS} are kept.
 *
 * <p>Thread-safety: safe for concurrent use (the report list is guarded by this object).
 */
final class DeviceDebug {
    /** How many reports a device keeps; later ones are counted, not kept (dma-debug keeps a count). */
    static final int KEPT_REPORTS = 1024;

    // Linux's dma_debug_entry keeps a five-frame stack trace of the map call
    private static final int FRAMES = 5;

    // the DMA API's own classes: their frames are not where the driver made the mapping
    private static final Set<String> API_CLASSES = Set.of(
            DmaDevice.class.getName(), DmaMapping.class.getName(), ScopedDmaMapping.class.getName(),
            CoherentBuffer.class.getName(), CpuBuffer.class.getName(), AddressCalls.class.getName(),
            MapChecks.class.getName(), DeviceDebug.class.getName(), DeviceMapper.class.getName(),
            DeviceState.class.getName());

    private static final StackWalker WALKER = StackWalker.getInstance();
    private static final System.Logger LOG = System.getLogger("org.dmalib.dma.ops");

    private final int streamId;
    private final DebugMode mode;
    // guarded by this
    private final List<DmaDebugReport> reports = new ArrayList<>();
    // guarded by this
    private long count;

    DeviceDebug(int streamId, DebugMode mode) {
        this.streamId = streamId;
        this.mode = mode;
    }

    /** Returns whether checks run (any mode but OFF). */
    boolean enabled() {
        return mode != DebugMode.OFF;
    }

    DebugMode mode() {
        return mode;
    }

    /** Returns the driver's frames of the current call (empty when checks are off). */
    List<StackTraceElement> capture() {
        if (!enabled()) {
            return List.of();
        }
        return WALKER.walk(frames -> frames
                .dropWhile(f -> API_CLASSES.contains(f.getClassName()))
                .limit(FRAMES)
                .map(StackWalker.StackFrame::toStackTraceElement)
                .toList());
    }

    /**
     * Raises a report after which the call may go on: throws it in THROW mode, records and logs
     * it in WARN mode (and returns), does nothing in OFF mode.
     *
     * @param check the check that fired
     * @param about the mapping it is about, or null
     * @param detail the values, {@code [name=value] ...}
     * @throws DmaDebugException in THROW mode
     */
    void report(DebugCheck check, Tracked about, String detail) {
        if (!enabled()) {
            return;
        }
        DmaDebugReport r = raise(check, about, about.mappedAt(), detail);
        if (mode == DebugMode.THROW) {
            throw new DmaDebugException(r);
        }
    }

    /**
     * As {@link #report}, for a map call whose mapping does not exist yet: the report names the
     * request in {@code detail}, and {@code at} (the call's frames) as where it is made.
     */
    void reportRequest(DebugCheck check, List<StackTraceElement> at, String detail) {
        if (!enabled()) {
            return;
        }
        DmaDebugReport r = raise(check, null, at, detail);
        if (mode == DebugMode.THROW) {
            throw new DmaDebugException(r);
        }
    }

    /**
     * Raises a report after which the call cannot go on, in every mode: returns the exception
     * to throw (a {@link DmaDebugException} unless checks are off; then only the message).
     */
    DmaUsageException refuse(DebugCheck check, Tracked about, String detail) {
        if (!enabled()) {
            return new DmaUsageException(check.linuxMessage() + " " + detail);
        }
        return new DmaDebugException(raise(check, about, about == null ? capture() : about.mappedAt(), detail));
    }

    /** Records a report without throwing (for the leak report, whose exception is its own). */
    void record(DebugCheck check, Tracked about, String detail) {
        raise(check, about, about.mappedAt(), detail);
    }

    /**
     * Reports what was still pending when the device was detached ({@link
     * DebugCheck#PENDING_AT_DETACH}): nothing if none was or checks are off, one report on the
     * first, and in THROW mode the leak exception listing them all.
     *
     * @param pending everything still registered, in the order made
     * @throws DmaLeakException in THROW mode, if any is pending
     */
    void reportLeaks(List<Tracked> pending) {
        if (pending.isEmpty() || !enabled()) {
            return;
        }
        Tracked first = pending.get(0);
        record(DebugCheck.PENDING_AT_DETACH, first, String.format(
                "[count=%d] [first leaked: %s]", pending.size(), first.describe()));
        if (mode == DebugMode.THROW) {
            throw new DmaLeakException(streamId, pending.stream().map(Tracked::describe).toList(),
                    pending.stream().map(Tracked::mappedAt).toList());
        }
    }

    synchronized List<DmaDebugReport> reports() {
        return List.copyOf(reports);
    }

    synchronized long count() {
        return count;
    }

    @CanIgnoreReturnValue
    private DmaDebugReport raise(DebugCheck check, Tracked about, List<StackTraceElement> at,
            String detail) {
        PendingMapping m = about == null ? null : about.describe();
        DmaDebugReport r = new DmaDebugReport(check, streamId, Optional.ofNullable(m), at,
                check.linuxMessage() + " " + detail);
        boolean first;
        synchronized (this) {
            first = count == 0;
            count++;
            if (reports.size() < KEPT_REPORTS) {
                reports.add(r);
            }
        }
        DebugReportEvent.emit(streamId, check.name(), m == null ? 0 : m.dmaAddress(),
                m == null ? 0 : m.size(), m == null ? "" : m.direction().name(),
                m == null ? "" : m.kind().name(), r.message());
        // dma-debug shows the first error only (num_errors = 1); the rest are counted and kept
        if (mode == DebugMode.WARN && first) {
            String where = at.isEmpty() ? "" : " (at " + at.get(0) + ")";
            LOG.log(Level.WARNING, () -> "DMA-API: device streamId=" + streamId + ": " + r.message() + where
                    + "; later reports of this device are recorded, not logged");
        }
        return r;
    }
}

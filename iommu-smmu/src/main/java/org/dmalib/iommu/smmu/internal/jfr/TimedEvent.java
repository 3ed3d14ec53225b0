package org.dmalib.iommu.smmu.internal.jfr;

/**
 * A JFR event timed from {@link #start()} to {@link #stop()} that reads the clock only when a
 * recording wants it: once JFR has registered an event class, an unconditional
 * {@link #begin()} reads the clock on every call, recorded or not.
 *
 * <p>Not thread-safe: one event per call, on the calling thread.
 */
public abstract class TimedEvent extends jdk.jfr.Event {
    // whether start() read the clock: a recording that begins during the call finds it false
    // and skips the event rather than report a duration from time zero (transient: not recorded)
    private transient boolean started;

    /** For subclasses. */
    protected TimedEvent() {}

    /** Starts timing, only if a recording wants the event. */
    public final void start() {
        if (isEnabled()) {
            started = true;
            begin();
        }
    }

    /**
     * Ends timing; the caller fills the fields and commits only if this returns true.
     *
     * @return whether the event was started and a recording wants it committed
     */
    protected final boolean stop() {
        if (!started) {
            return false;
        }
        end();
        return shouldCommit();
    }
}

package org.dmalib.dma.ops;

/**
 * A DMA-API debug check fired on a device in {@link DebugMode#THROW} mode (or on a call that
 * had nothing to act on, in any mode): the driver broke a rule of the DMA API. The message is
 * the report's; {@link #report()} has its parts. Nothing was changed by the call.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class DmaDebugException extends DmaUsageException {
    private static final long serialVersionUID = 1L;

    // transient: the report is for the thrower's caller, not for serialized copies
    private final transient DmaDebugReport report;

    /**
     * Creates the exception.
     *
     * @param report the report, not null
     */
    public DmaDebugException(DmaDebugReport report) {
        super(report.toString());
        this.report = report;
    }

    /** {@return the report (null only in a deserialized copy)} */
    public DmaDebugReport report() {
        return report;
    }

    /** {@return the check that fired (null only in a deserialized copy)} */
    public DebugCheck check() {
        return report == null ? null : report.check();
    }
}

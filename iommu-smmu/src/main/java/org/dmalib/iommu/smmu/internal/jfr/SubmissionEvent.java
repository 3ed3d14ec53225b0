package org.dmalib.iommu.smmu.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * One submission to the driver's command queue: commands written, doorbells rung (batches of at
 * most 64 commands, the last with a CMD_SYNC), timed from {@link #start()} (before the queue's
 * lock) to {@link #finish} (after the CMD_SYNC completed).
 *
 * <p>Not thread-safe: one event per call, on the calling thread.
 */
@Name("org.dmalib.SmmuSubmission")
@Label("SMMU Command Submission")
@Category({"dmalib", "SMMUv3 driver"})
@Description("Commands the driver wrote to the command queue for one submission, with its CMD_SYNC")
public final class SubmissionEvent extends TimedEvent {
    @Label("Commands")
    @Description("Commands written, the final CMD_SYNC included")
    long commands;

    @Label("Batches")
    @Description("Writes of CMDQ_PROD (doorbells)")
    long batches;

    @Label("Command Errors")
    @Description("Command errors recovered during the submission (CERROR_ILL, CERROR_ABT)")
    long errors;


    /** Creates an event; call {@link #start()} before submitting. */
    public SubmissionEvent() {}


    /**
     * Ends the event and commits it if a recording wants it; fills nothing otherwise.
     *
     * @param commands commands written, CMD_SYNC included
     * @param batches doorbells rung
     * @param errors command errors recovered
     */
    public void finish(long commands, long batches, long errors) {
        if (!stop()) {
            return;
        }
        this.commands = commands;
        this.batches = batches;
        this.errors = errors;
        commit();
    }
}

package org.dmalib.hw.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** One CMD_SYNC completed by the SMMU. Instant; no stack trace (see the TLBI event). */
@Name("org.dmalib.SmmuSync")
@Label("SMMU CMD_SYNC")
@Category({"dmalib", "SMMUv3 hardware"})
@Description("A CMD_SYNC the SMMU completed: every earlier command has taken effect")
@StackTrace(false)
final class SmmuSyncEvent extends jdk.jfr.Event {
    @Label("Completion Signal")
    @Description("CS: NONE, IRQ (MSI write) or SEV")
    String signal;

    @Label("Commands")
    @Description("Commands consumed since the previous CMD_SYNC, this one excluded")
    long commands;
}

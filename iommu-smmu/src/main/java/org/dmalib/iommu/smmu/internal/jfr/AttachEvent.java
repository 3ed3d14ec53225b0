package org.dmalib.iommu.smmu.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A stream attached to or detached from a domain: what ties a device (stream ID) to the ASID
 * that the invalidation and TLBI events name. Instant, emitted once the STE is live (attach) or
 * aborting (detach) and synced.
 *
 * <p>Not thread-safe: one event per call, on the calling thread.
 */
@Name("org.dmalib.SmmuAttach")
@Label("SMMU Attach")
@Category({"dmalib", "SMMUv3 driver"})
@Description("A stream attached to (or detached from) a stage-1 domain")
public final class AttachEvent extends jdk.jfr.Event {
    @Label("Device")
    @Description("The stream ID")
    int device;

    @Label("ASID")
    @Description("The domain's ASID")
    int asid;

    @Label("Attached")
    @Description("True for attach, false for detach")
    boolean attached;

    private AttachEvent() {}

    /**
     * Emits the event if a recording wants it.
     *
     * @param device the stream ID
     * @param asid the domain's ASID
     * @param attached true for attach, false for detach
     */
    public static void emit(int device, int asid, boolean attached) {
        AttachEvent event = new AttachEvent();
        if (!event.shouldCommit()) {
            return;
        }
        event.device = device;
        event.asid = asid;
        event.attached = attached;
        event.commit();
    }
}

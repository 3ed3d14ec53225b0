package org.dmalib.hw.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;

/**
 * One event the SMMU raised: a fault of a device access (translation, permission, access flag,
 * address size, walk abort) or a bad configuration. Instant, with the stack of the device access.
 */
@Name("org.dmalib.SmmuFault")
@Label("SMMU Fault")
@Category({"dmalib", "SMMUv3 hardware"})
@Description("An event the SMMU raised for a device access: the access was aborted")
final class SmmuFaultEvent extends jdk.jfr.Event {
    @Label("Device")
    @Description("The stream ID of the access")
    int device;

    @Label("IOVA")
    @Description("The input address of the access; 0 for configuration events")
    @MemoryAddress
    long iova;

    @Label("Kind")
    @Description("The event type, as SmmuEvent.Kind (TRANSLATION_FAULT, PERMISSION_FAULT, ...)")
    String kind;

    @Label("Event ID")
    @Description("The SMMUv3 event ID written to the record (F_TRANSLATION = 0x10, ...)")
    int eventId;

    @Label("Access")
    @Description("read or write")
    String access;

    @Label("Privileged")
    boolean privileged;

    @Label("Recorded")
    @Description("Whether the record reached the event queue (not lost: queue disabled or full,"
            + " or CD.R clear)")
    boolean recorded;
}

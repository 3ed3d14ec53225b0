package org.dmalib.dma.ops.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;

/**
 * One DMA-API debug report, as the device raised it (in every debug mode but off).
 *
 * <p>Not thread-safe: one event per report, on the calling thread.
 */
@Name("org.dmalib.DmaDebugReport")
@Label("DMA-API Debug Report")
@Category({"dmalib", "DMA API"})
@Description("A DMA-API debug check fired: the driver broke a rule of the DMA API")
public final class DebugReportEvent extends jdk.jfr.Event {
    @Label("Device")
    @Description("The stream ID of the device whose driver made the call")
    int device;

    @Label("Check")
    String check;

    @Label("DMA Address")
    @Description("The mapping's first DMA address, or the address the call named")
    @MemoryAddress
    long dmaAddress;

    @Label("Size")
    @DataAmount
    long size;

    @Label("Direction")
    String direction;

    @Label("Kind")
    @Description("SINGLE, SCATTER_GATHER or COHERENT; empty when the call matched no mapping")
    String kind;

    @Label("Message")
    String message;

    /** Creates an event. */
    public DebugReportEvent() {}

    /**
     * Commits the report if a recording wants it.
     *
     * @param device the stream ID
     * @param check the check's name
     * @param dmaAddress the DMA address
     * @param size the bytes
     * @param direction the direction's name, or empty
     * @param kind the mapping kind's name, or empty
     * @param message the report's message
     */
    public static void emit(int device, String check, long dmaAddress, long size, String direction,
            String kind, String message) {
        DebugReportEvent e = new DebugReportEvent();
        if (!e.shouldCommit()) {
            return;
        }
        e.device = device;
        e.check = check;
        e.dmaAddress = dmaAddress;
        e.size = size;
        e.direction = direction;
        e.kind = kind;
        e.message = message;
        e.commit();
    }
}

package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A debug report is a Flight Recorder event with the fields a user filters on. */
class DebugReportEventTest {

    @Test
    void aWarningIsRecordedWithDeviceCheckAndMapping(@TempDir Path dir) throws Exception {
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
        CpuBuffer b = r.memory.allocate(4096);
        Path file = dir.resolve("debug.jfr");
        DmaMapping m;
        try (Recording recording = new Recording()) {
            recording.enable("org.dmalib.DmaDebugReport");
            recording.start();
            m = r.dev.mapSingle(r.cpu, b, DmaDirection.FROM_DEVICE);
            r.dev.unmapSingle(r.cpu, m.dmaAddress(), 4096, DmaDirection.BIDIRECTIONAL);
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("org.dmalib.DmaDebugReport")).toList();
        assertEquals(1, events.size(), events::toString);
        RecordedEvent e = events.get(0);
        assertEquals(1, e.getInt("device"));
        assertEquals("FREE_DIFFERENT_DIRECTION", e.getString("check"));
        assertEquals(m.dmaAddress(), e.getLong("dmaAddress"));
        assertEquals(4096, e.getLong("size"));
        assertEquals("FROM_DEVICE", e.getString("direction"));
        assertEquals("SINGLE", e.getString("kind"));
        assertEquals(r.dev.debugReports().get(0).message(), e.getString("message"));
    }
}

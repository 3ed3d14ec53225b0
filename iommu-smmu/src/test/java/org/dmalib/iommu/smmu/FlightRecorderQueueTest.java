package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.dmalib.iommu.smmu.internal.cmdq.CommandQueue;
import org.dmalib.iommu.smmu.internal.cmdq.Commands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flight Recorder events of whole-domain and raw submissions: a flush of the whole domain
 * is an {@code asid} invalidation around its submission, and each submission records the
 * commands it wrote, of every kind, and the errors of its own; attach and detach are recorded
 * alike.
 */
class FlightRecorderQueueTest {
    private static final List<String> EVENTS =
            List.of("org.dmalib.SmmuInvalidation", "org.dmalib.SmmuSubmission",
                    "org.dmalib.SmmuAttach");

    @TempDir
    Path dir;

    @Test
    void submissions_record_their_own_commands_and_errors_and_a_domain_flush_is_an_asid_event()
            throws IOException {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        SmmuDomain ops = rig.driver.domainOps(domain);
        CommandQueue queue = rig.driver.commandQueue();
        Path file = dir.resolve("queue.jfr");
        try (Recording recording = new Recording()) {
            EVENTS.forEach(recording::enable);
            recording.start();
            ops.flushIotlbAll();                                  // TLBI_NH_ASID, CMD_SYNC
            rig.driver.attach(domain, 12);
            rig.driver.detach(12);
            queue.submit(List.of(new TlbCommand.TlbiNhAll(), new TlbCommand.CmdSync()));
            queue.submitEncoded(List.of(new Commands.Command(0x7f, 0))); // illegal, CMD_SYNC
            queue.submit(List.of());                              // CMD_SYNC alone
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);

        List<RecordedEvent> flushes = all(events, "org.dmalib.SmmuInvalidation");
        assertEquals(1, flushes.size(), flushes.toString());
        RecordedEvent flush = flushes.get(0);
        assertEquals("asid", flush.getString("kind"));
        assertEquals("LINUX", flush.getString("strategy"));
        assertEquals(ops.asid(), flush.getInt("asid"));
        assertEquals(0, flush.getLong("size"));
        assertEquals(2, flush.getInt("commands"), "TLBI_NH_ASID and its CMD_SYNC");
        assertEquals(1, flush.getInt("tlbiCommands"));

        List<RecordedEvent> submissions = all(events, "org.dmalib.SmmuSubmission");
        List<RecordedEvent> attaches = all(events, "org.dmalib.SmmuAttach");
        assertEquals(List.of(true, false),
                attaches.stream().map(e -> e.getBoolean("attached")).toList());
        for (RecordedEvent e : attaches) {
            assertEquals(12, e.getInt("device"));
            assertEquals(ops.asid(), e.getInt("asid"));
        }

        assertEquals(List.of(2L, 3L, 2L, 2L, 2L, 1L),
                submissions.stream().map(e -> e.getLong("commands")).toList(),
                "every kind of command counts: TLBI_NH_ASID, CFGI, TLBI_NH_ALL, an unknown one");
        assertEquals(List.of(0L, 0L, 0L, 0L, 1L, 0L),
                submissions.stream().map(e -> e.getLong("errors")).toList(),
                "the error is the bad submission's alone");
        RecordedEvent first = submissions.get(0);
        assertTrue(!first.getStartTime().isBefore(flush.getStartTime())
                && !first.getEndTime().isAfter(flush.getEndTime()), flush + "\n" + first);
    }

    /** The events named {@code name}, oldest first (the file orders by chunk, not by time). */
    private static List<RecordedEvent> all(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                .toList();
    }
}

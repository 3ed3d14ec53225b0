package org.dmalib.hw.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hardware model's Flight Recorder events, as their descriptions define them: one
 * SmmuTlbInvalidation per TLBI with the entries it dropped, one SmmuSync per CMD_SYNC with the
 * commands since the previous one (itself excluded), one SmmuIotlbMisses per sync window that
 * had translations (replayed hits included) with that window's misses, walks and descriptor
 * reads, and one SmmuFault per event saying whether its record reached the event queue.
 */
class SmmuFlightRecorderTest {
    private static final int SID = 5;
    private static final int SILENT = 6; // CD.R clear
    private static final int ASID = 7;
    private static final long VA = 0x4000_0000L;
    private static final long PAGE = 0x1000;
    private static final long END = 64L << 20; // SmmuRig's memory
    private static final List<String> EVENTS = List.of("org.dmalib.SmmuTlbInvalidation",
            "org.dmalib.SmmuSync", "org.dmalib.SmmuIotlbMisses", "org.dmalib.SmmuFault");

    @TempDir
    Path dir;

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();

    private static boolean read(DmaPort port, long va) {
        return port.read(va, new byte[1], 0, 1) == DmaStatus.OK;
    }

    @Test
    void tlbis_syncs_sync_windows_and_faults_are_recorded_with_their_fields() throws IOException {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        pt.mapPage(VA + PAGE, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        rig.translate(SILENT, ASID + 1, pt);
        rig.writeCd(SILENT, SmmuRig.cd0(ASID + 1, 12, 48, true) & ~CdLayout.R, pt.root);
        DmaPort port = rig.port(SID);
        DmaPort silent = rig.port(SILENT);
        DmaPort bad = rig.port(300); // beyond the stream table

        Path file = dir.resolve("smmu.jfr");
        try (Recording recording = new Recording()) {
            EVENTS.forEach(recording::enable);
            recording.start();
            // window 1: one command; page A walked, hit, hit again (replayed)
            rig.command(CommandLayout.OP_PREFETCH_CFG, 0);
            assertTrue(read(port, VA));
            assertTrue(read(port, VA));
            assertTrue(read(port, VA));
            rig.sync();
            // window 2: page B walked from the walk cache and hit; four TLBIs; A faults
            assertTrue(read(port, VA + PAGE));
            assertTrue(read(port, VA + PAGE));
            rig.tlbiRange(ASID, VA, 1, 0, 1, 3, true); // A and B, micro and main: 4 entries
            rig.tlbiAsid(ASID); // the walk cache's level 0, 1 and 2 tables: 3 entries
            rig.command(CommandLayout.OP_TLBI_NH_VAA, 0x9000_0000L); // nothing cached there
            rig.command(CommandLayout.OP_TLBI_NH_ALL, 0); // nothing left
            pt.clear(VA, 3);
            assertFalse(read(port, VA)); // a full walk: a translation fault, recorded
            rig.sync();
            rig.sync(); // window 3: nothing but this CMD_SYNC
            // faults that are not recorded: CD.R clear, an aborted record, a full queue
            assertFalse(read(silent, 0x7000));
            rig.regs.writeRegister64(EVENTQ_BASE, END | SmmuRig.EVTQ_LOG2);
            assertFalse(read(bad, 0xa000));
            rig.regs.writeRegister64(EVENTQ_BASE, SmmuRig.EVTQ | SmmuRig.EVTQ_LOG2);
            for (int i = 0; i < 8; i++) { // one record is in the 8-entry queue already
                assertFalse(read(bad, 0x10_0000 + i * PAGE));
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);

        List<RecordedEvent> tlbis = all(events, "org.dmalib.SmmuTlbInvalidation");
        assertEquals(List.of("CMD_TLBI_NH_VA", "CMD_TLBI_NH_ASID", "CMD_TLBI_NH_VAA",
                "CMD_TLBI_NH_ALL"), tlbis.stream().map(e -> e.getString("opcode"))
                .collect(Collectors.toList()));
        assertEquals(List.of(4L, 3L, 0L, 0L), tlbis.stream()
                .map(e -> e.getLong("entriesDropped")).collect(Collectors.toList()));
        RecordedEvent range = tlbis.get(0);
        assertEquals(ASID, range.getInt("asid"));
        assertEquals(VA, range.getLong("iova"));
        assertTrue(range.getBoolean("range"));
        assertEquals(2 * PAGE, range.getLong("size"));
        assertEquals(0x9000_0000L, tlbis.get(2).getLong("iova"));
        assertEquals(-1, tlbis.get(2).getInt("asid"), "VAA: every ASID");

        assertEquals(List.of(1L, 4L, 0L), all(events, "org.dmalib.SmmuSync").stream()
                .map(e -> e.getLong("commands")).collect(Collectors.toList()),
                "commands since the previous CMD_SYNC, each CMD_SYNC excluded");

        List<RecordedEvent> windows = all(events, "org.dmalib.SmmuIotlbMisses");
        assertEquals(2, windows.size(), "window 3 had no translations: " + windows);
        // translations, micro misses, main misses, walks, walk-cache misses, descriptor reads
        assertEquals(List.of(3L, 1L, 1L, 1L, 1L, 4L), fields(windows.get(0)), "the replay too");
        assertEquals(List.of(3L, 2L, 2L, 2L, 1L, 5L), fields(windows.get(1)));

        Map<Long, Boolean> recorded = all(events, "org.dmalib.SmmuFault").stream()
                .collect(Collectors.toMap(e -> e.getLong("iova"), e -> e.getBoolean("recorded")));
        assertEquals(11, recorded.size());
        assertTrue(recorded.get(VA), "the first fault reached the queue");
        assertFalse(recorded.get(0x7000L), "CD.R clear");
        assertFalse(recorded.get(0xa000L), "the record write aborted");
        for (int i = 0; i < 8; i++) {
            assertEquals(i < 7, recorded.get(0x10_0000L + i * PAGE), "queue fill " + i);
        }
    }

    private static List<Long> fields(RecordedEvent e) {
        return List.of(e.getLong("translations"), e.getLong("microTlbMisses"),
                e.getLong("mainTlbMisses"), e.getLong("walks"), e.getLong("walkCacheMisses"),
                e.getLong("pteReads"));
    }

    /** The events named {@code name}, oldest first (the file orders by chunk, not by time). */
    private static List<RecordedEvent> all(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                .collect(Collectors.toList());
    }
}

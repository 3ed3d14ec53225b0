package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flight Recorder events of a short scenario, recorded to a file and read back: map 100
 * pages, let the device read each once (100 IOTLB misses), unmap them strictly under LINUX on a
 * RIL SMMU (reference §5.2: one range TLBI_NH_VA, SCALE 2, NUM 24), read once more (a
 * translation fault). Runs on the module path, so it also shows that JFR can register events of
 * packages the modules do not export.
 */
class FlightRecorderTest {
    private static final int SID = 7;
    private static final long PAGE = 4096;
    private static final long PAGES = 100;
    private static final long SIZE = PAGES * PAGE;
    private static final long IOVA = 0x1000_0000L;
    private static final int TG_4K = 1;
    private static final int TTL_PAGE = 3;
    private static final List<String> EVENTS = List.of("org.dmalib.Map", "org.dmalib.Unmap",
            "org.dmalib.SmmuAttach", "org.dmalib.SmmuInvalidation", "org.dmalib.SmmuSubmission",
            "org.dmalib.SmmuTlbInvalidation", "org.dmalib.SmmuSync", "org.dmalib.SmmuIotlbMisses",
            "org.dmalib.SmmuFault");

    @TempDir
    Path dir;

    @Test
    void a_strict_unmap_scenario_is_recorded_with_the_fields_users_filter_on() throws IOException {
        Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(true));
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        int asid = rig.driver.domainOps(domain).asid();
        DmaPort port = rig.port(SID);

        Path file = dir.resolve("scenario.jfr");
        try (Recording recording = new Recording()) {
            EVENTS.forEach(recording::enable);
            recording.start();
            rig.driver.attach(domain, SID);
            domain.map(IOVA, Rig.DATA, SIZE, IommuProt.READ_WRITE);
            Rig.assertReads(port, IOVA, SIZE, PAGE, DmaStatus.OK);
            // the last page twice more: a micro-TLB hit, then that hit replayed
            assertEquals(DmaStatus.OK, Rig.read(port, IOVA + SIZE - PAGE));
            assertEquals(DmaStatus.OK, Rig.read(port, IOVA + SIZE - PAGE));
            assertEquals(SIZE, domain.unmap(IOVA, SIZE));
            assertEquals(DmaStatus.ABORT, Rig.read(port, IOVA + PAGE));
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);

        RecordedEvent attach = only(events, "org.dmalib.SmmuAttach");
        assertEquals(SID, attach.getInt("device"));
        assertEquals(asid, attach.getInt("asid"));
        assertTrue(attach.getBoolean("attached"));

        RecordedEvent map = only(events, "org.dmalib.Map");
        assertEquals(IOVA, map.getLong("iova"));
        assertEquals(Rig.DATA, map.getLong("paddr"));
        assertEquals(SIZE, map.getLong("size"));
        assertEquals("LINUX", map.getString("strategy"));
        assertEquals("UNMANAGED", map.getString("domainType"));
        assertTrue(map.getBoolean("succeeded"));
        assertNull(map.getEventType().getField("started"), "the transient flag is not recorded");

        RecordedEvent unmap = only(events, "org.dmalib.Unmap");
        assertEquals(IOVA, unmap.getLong("iova"));
        assertEquals(SIZE, unmap.getLong("size"));
        assertEquals(SIZE, unmap.getLong("unmapped"));
        assertTrue(unmap.getBoolean("synced"));
        assertEquals("LINUX", unmap.getString("strategy"));

        RecordedEvent plan = only(events, "org.dmalib.SmmuInvalidation");
        assertEquals("leaf", plan.getString("kind"));
        assertEquals("LINUX", plan.getString("strategy"));
        assertEquals(asid, plan.getInt("asid"));
        assertEquals(IOVA, plan.getLong("iova"));
        assertEquals(SIZE, plan.getLong("size"));
        assertEquals(PAGE, plan.getLong("granule"));
        assertEquals(1, plan.getInt("tlbiCommands"));
        assertEquals(2, plan.getInt("commands"), "one range command and its CMD_SYNC");

        // the attach's CFGI_CD, CFGI_STE and CMD_SYNC, then the unmap's TLBI and CMD_SYNC
        List<RecordedEvent> submissions = all(events, "org.dmalib.SmmuSubmission");
        assertEquals(List.of(3L, 2L), submissions.stream().map(e -> e.getLong("commands"))
                .collect(Collectors.toList()));
        RecordedEvent submission = submissions.get(1);
        assertEquals(1, submission.getLong("batches"));
        assertEquals(0, submission.getLong("errors"));

        RecordedEvent tlbi = only(events, "org.dmalib.SmmuTlbInvalidation");
        assertEquals("CMD_TLBI_NH_VA", tlbi.getString("opcode"));
        assertEquals(asid, tlbi.getInt("asid"));
        assertEquals(IOVA, tlbi.getLong("iova"));
        assertEquals(2, tlbi.getInt("scale"));
        assertEquals(24, tlbi.getInt("num"), "(24 + 1) * 2^2 = 100 pages");
        assertEquals(TG_4K, tlbi.getInt("tg"));
        assertEquals(TTL_PAGE, tlbi.getInt("ttl"));
        assertTrue(tlbi.getBoolean("leaf"));
        assertTrue(tlbi.getBoolean("range"));
        assertEquals(SIZE, tlbi.getLong("size"));
        assertTrue(tlbi.getLong("entriesDropped") >= PAGES,
                "every page was cached by the reads: " + tlbi);

        assertEquals(List.of(2L, 1L), all(events, "org.dmalib.SmmuSync").stream()
                .map(e -> e.getLong("commands")).collect(Collectors.toList()),
                "the commands before each CMD_SYNC: CFGI_CD and CFGI_STE, then the TLBI");

        // the one sync window with translations: the reads between attach's and unmap's CMD_SYNC
        RecordedEvent misses = only(events, "org.dmalib.SmmuIotlbMisses");
        assertEquals(PAGES + 2, misses.getLong("translations"), "the replayed hit included");
        assertEquals(PAGES, misses.getLong("mainTlbMisses"), "each page missed once");
        assertEquals(PAGES, misses.getLong("walks"));

        RecordedEvent fault = only(events, "org.dmalib.SmmuFault");
        assertEquals(SID, fault.getInt("device"));
        assertEquals(IOVA + PAGE, fault.getLong("iova"));
        assertEquals("TRANSLATION_FAULT", fault.getString("kind"));
        assertEquals("read", fault.getString("access"));
        assertTrue(fault.getBoolean("recorded"));

        // nesting on the calling thread: the unmap contains the plan, which contains the submission
        assertTrue(!plan.getStartTime().isBefore(unmap.getStartTime())
                && !plan.getEndTime().isAfter(unmap.getEndTime()), unmap + "\n" + plan);
        assertTrue(!submission.getStartTime().isBefore(plan.getStartTime())
                && !submission.getEndTime().isAfter(plan.getEndTime()), plan + "\n" + submission);
    }

    @Test
    void an_unmap_fast_that_frees_a_table_records_a_gathered_unmap_and_a_walk_flush()
            throws IOException {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        int asid = rig.driver.domainOps(domain).asid();
        long block = 2 * Rig.MIB;
        // 4 KiB leaves: the physical address is 4 KiB off the IOVA's 2 MiB alignment
        domain.map(IOVA, Rig.DATA + PAGE, block, IommuProt.READ_WRITE);

        Path file = dir.resolve("walk.jfr");
        try (Recording recording = new Recording()) {
            EVENTS.forEach(recording::enable);
            recording.start();
            // one 2 MiB-sized call clears the whole leaf table: io-pgtable frees it, walk flush
            GatheringDomain gathering = (GatheringDomain) domain;
            assertEquals(block, gathering.unmapFast(IOVA, block, new IotlbGather()));
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);

        RecordedEvent unmap = only(events, "org.dmalib.Unmap");
        assertEquals(block, unmap.getLong("unmapped"));
        assertFalse(unmap.getBoolean("synced"), "unmapFast leaves leaves to the gather");
        RecordedEvent walk = only(events, "org.dmalib.SmmuInvalidation");
        assertEquals("walk", walk.getString("kind"));
        assertEquals(asid, walk.getInt("asid"));
        assertEquals(IOVA, walk.getLong("iova"));
        assertEquals(block, walk.getLong("size"));
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name) {
        List<RecordedEvent> found = all(events, name);
        assertEquals(1, found.size(), name + ": " + found);
        return found.get(0);
    }

    /** The events named {@code name}, oldest first (the file orders by chunk, not by time). */
    private static List<RecordedEvent> all(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                .collect(Collectors.toList());
    }
}

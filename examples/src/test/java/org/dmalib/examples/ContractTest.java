package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.junit.jupiter.api.Test;

/**
 * The public contracts of the example drivers and devices: the ranges their Javadoc states,
 * accepted at both ends and refused one past, the running-state checks, and the counters.
 */
class ContractTest {
    private static byte[] frame(int seed, int length) {
        byte[] f = new byte[length];
        for (int i = 0; i < length; i++) {
            f[i] = (byte) (seed * 31 + i);
        }
        return f;
    }

    private static String refused(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void a_scenario_takes_1_to_max_operations_and_ring_entries_from_min_to_max() {
        assertEquals(1, ScenarioConfig.of(1, IommuMode.STRICT).operations());
        assertEquals(ScenarioConfig.MAX_OPERATIONS,
                ScenarioConfig.of(ScenarioConfig.MAX_OPERATIONS, IommuMode.STRICT).operations());
        assertTrue(refused(() -> ScenarioConfig.of(0, IommuMode.STRICT)).contains("operations=0 "));
        assertTrue(refused(() -> ScenarioConfig.of(ScenarioConfig.MAX_OPERATIONS + 1,
                IommuMode.STRICT)).contains("operations=" + (ScenarioConfig.MAX_OPERATIONS + 1) + " "));
        ScenarioConfig c = ScenarioConfig.of(10, IommuMode.LAZY);
        assertEquals(NicDriver.MIN_ENTRIES, c.withRingEntries(NicDriver.MIN_ENTRIES).ringEntries());
        assertEquals(NicDriver.MAX_ENTRIES, c.withRingEntries(NicDriver.MAX_ENTRIES).ringEntries());
        assertTrue(refused(() -> c.withRingEntries(NicDriver.MIN_ENTRIES - 1)).contains("ringEntries=1 "));
        assertTrue(refused(() -> c.withRingEntries(NicDriver.MAX_ENTRIES + 1)).contains("ringEntries=4097 "));
    }

    @Test
    void the_drivers_take_rings_of_min_to_max_entries() {
        Platform p = new Platform(IommuMode.DIRECT, Coherency.NON_COHERENT);
        Nic nic = new Nic(p.port);
        BlockDevice disk = new BlockDevice(p.port, 64);
        for (int entries : new int[] {NicDriver.MIN_ENTRIES, NicDriver.MAX_ENTRIES}) {
            assertDoesNotThrow(() -> new NicDriver(p.dev, nic, p.cpu, entries, DriverMistake.CORRECT));
            assertDoesNotThrow(() -> new BlockDriver(p.dev, disk, p.cpu, entries, DriverMistake.CORRECT));
        }
        for (int entries : new int[] {NicDriver.MIN_ENTRIES - 1, NicDriver.MAX_ENTRIES + 1}) {
            assertTrue(refused(() -> new NicDriver(p.dev, nic, p.cpu, entries, DriverMistake.CORRECT))
                    .contains("entries=" + entries + " "));
            assertTrue(refused(() -> new BlockDriver(p.dev, disk, p.cpu, entries, DriverMistake.CORRECT))
                    .contains("entries=" + entries + " "));
        }
    }

    @Test
    void a_disk_has_1_to_2_pow_21_sectors_and_a_request_1_to_128_segments() {
        Platform p = new Platform(IommuMode.DIRECT, Coherency.NON_COHERENT);
        assertEquals(1, new BlockDevice(p.port, 1).sectors());
        assertEquals(1 << 21, new BlockDevice(p.port, 1 << 21).sectors());
        assertTrue(refused(() -> new BlockDevice(p.port, 0)).contains("sectors=0 "));
        assertTrue(refused(() -> new BlockDevice(p.port, (1 << 21) + 1)).contains("sectors=2097153 "));

        CpuBuffer buf = p.memory.allocate((BlockDevice.MAX_SEGMENTS + 1) * BlockDevice.SECTOR);
        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i <= BlockDevice.MAX_SEGMENTS; i++) {
            segments.add(buf.segment(i * BlockDevice.SECTOR, BlockDevice.SECTOR));
        }
        assertEquals(1, new BlockRequest(BlockRequest.Op.READ, 0,
                ScatterList.of(segments.subList(0, 1))).sectorCount());
        assertEquals(BlockDevice.MAX_SEGMENTS, new BlockRequest(BlockRequest.Op.WRITE, 0,
                ScatterList.of(segments.subList(0, BlockDevice.MAX_SEGMENTS))).sectorCount());
        assertTrue(refused(() -> new BlockRequest(BlockRequest.Op.WRITE, 0, ScatterList.of(segments)))
                .contains("segments.size=129"));
    }

    @Test
    void the_copy_scenario_copies_1_byte_to_1_mib() {
        assertTrue(CopyEngineScenario.run(DriverVariant.CORRECT, 1).dataCorrect());
        CopyEngineScenario.Result mib = CopyEngineScenario.run(DriverVariant.CORRECT, 1 << 20);
        assertTrue(mib.dataCorrect());
        assertEquals(1 << 20, mib.bytesMoved());
        assertTrue(refused(() -> CopyEngineScenario.run(DriverVariant.CORRECT, 0)).contains("size=0 "));
        assertTrue(refused(() -> CopyEngineScenario.run(DriverVariant.CORRECT, (1 << 20) + 1))
                .contains("size=1048577 "));
    }

    @Test
    void the_nic_takes_frames_of_1_to_max_frame_bytes_and_tails_inside_its_ring() {
        Platform p = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        Nic nic = new Nic(p.port);
        NicDriver driver = new NicDriver(p.dev, nic, p.cpu, 4, DriverMistake.CORRECT);
        driver.start();
        assertTrue(refused(() -> nic.receive(new byte[0])).contains("frame.length=0 "));
        assertTrue(refused(() -> nic.receive(new byte[Nic.MAX_FRAME + 1])).contains("frame.length=1515 "));
        assertTrue(refused(() -> driver.transmit(new byte[0])).contains("packet.length=0 "));
        assertTrue(refused(() -> driver.transmit(new byte[Nic.MAX_FRAME + 1])).contains("packet.length=1515 "));
        assertEquals("packet", assertThrows(NullPointerException.class, () -> driver.transmit(null))
                .getMessage());
        assertTrue(refused(() -> nic.writeTxTail(-1)).contains("tail=-1 "));
        assertTrue(refused(() -> nic.writeTxTail(4)).contains("tail=4 must be from 0 to 3"));
        assertTrue(refused(() -> nic.configureRx(0, -1)).contains("entries=-1 "));
        assertTrue(refused(() -> nic.configureTx(0, -1)).contains("entries=-1 "));

        // the smallest and the largest frame and packet arrive intact, and are counted
        assertTrue(nic.receive(frame(1, 1)));
        assertTrue(nic.receive(frame(2, Nic.MAX_FRAME)));
        List<byte[]> got = driver.receive();
        assertEquals(2, got.size());
        assertArrayEquals(frame(1, 1), got.get(0));
        assertArrayEquals(frame(2, Nic.MAX_FRAME), got.get(1));
        assertEquals(2, nic.rxFrames());
        assertEquals(2, driver.rxFrames());
        assertTrue(driver.transmit(frame(3, 1)));
        assertTrue(driver.transmit(frame(4, Nic.MAX_FRAME)));
        assertEquals(2, nic.txFrames());
        List<byte[]> wire = nic.drainWire();
        assertArrayEquals(frame(3, 1), wire.get(0));
        assertArrayEquals(frame(4, Nic.MAX_FRAME), wire.get(1));
        // drained: the wire is empty until the next packet
        assertEquals(List.of(), nic.drainWire());
        assertEquals(2, driver.reapTx());
        assertEquals(2, driver.txPackets());
        assertEquals(0, driver.txErrors() + nic.txErrors() + nic.rxErrors() + nic.ringAborts());
        driver.stop();
        p.teardown();
    }

    @Test
    void a_driver_works_only_between_start_and_stop() {
        Platform p = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        Nic nic = new Nic(p.port);
        NicDriver nicDriver = new NicDriver(p.dev, nic, p.cpu, 4, DriverMistake.CORRECT);
        assertThrows(IllegalStateException.class, nicDriver::receive);
        assertThrows(IllegalStateException.class, () -> nicDriver.transmit(frame(1, 60)));
        assertThrows(IllegalStateException.class, nicDriver::reapTx);
        assertThrows(IllegalStateException.class, nicDriver::stop);
        nicDriver.start();
        assertThrows(IllegalStateException.class, nicDriver::start);
        nicDriver.stop();
        assertThrows(IllegalStateException.class, nicDriver::receive);
        assertThrows(IllegalStateException.class, () -> nicDriver.transmit(frame(1, 60)));
        assertThrows(IllegalStateException.class, nicDriver::reapTx);
        assertThrows(IllegalStateException.class, nicDriver::stop);
        // stopped: the NIC's rings are disabled, so a frame is dropped without the device
        // touching memory (no descriptor read, no fault)
        long dma = p.machine.counters().dmaBytesRead() + p.machine.counters().dmaBytesWritten();
        int events = p.events().size();
        assertFalse(nic.receive(frame(2, 60)));
        assertEquals(1, nic.rxDropped());
        assertEquals(0, nic.ringAborts());
        assertEquals(events, p.events().size());
        assertEquals(dma, p.machine.counters().dmaBytesRead() + p.machine.counters().dmaBytesWritten());
        // and its TX ring too: no tail can be written
        assertTrue(refused(() -> nic.writeTxTail(0)).contains("TX entries=0"));

        Platform q = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        BlockDevice disk = new BlockDevice(q.port, 64);
        BlockDriver block = new BlockDriver(q.dev, disk, q.cpu, 4, DriverMistake.CORRECT);
        CpuBuffer buf = q.memory.allocate(4096);
        BlockRequest read = new BlockRequest(BlockRequest.Op.READ, 0,
                ScatterList.of(buf.segment(0, 4096)));
        assertThrows(IllegalStateException.class, () -> block.submit(read));
        assertThrows(IllegalStateException.class, block::reap);
        assertThrows(IllegalStateException.class, block::stop);
        block.start();
        assertThrows(IllegalStateException.class, block::start);
        block.stop();
        assertThrows(IllegalStateException.class, () -> block.submit(read));
        assertThrows(IllegalStateException.class, block::reap);
        assertThrows(IllegalStateException.class, block::stop);
    }

    @Test
    void the_disk_counts_requests_and_the_bytes_each_way() {
        Platform p = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        BlockDevice disk = new BlockDevice(p.port, 64);
        BlockDriver driver = new BlockDriver(p.dev, disk, p.cpu, 4, DriverMistake.CORRECT);
        driver.start();
        CpuBuffer buf = p.memory.allocate(2 * 4096);
        byte[] data = frame(5, 3 * BlockDevice.SECTOR);
        buf.write(p.cpu, 100, data);
        // three sectors written from two segments, then two of them read back
        driver.submit(new BlockRequest(BlockRequest.Op.WRITE, 7, ScatterList.of(
                buf.segment(100, BlockDevice.SECTOR), buf.segment(100 + BlockDevice.SECTOR,
                        2 * BlockDevice.SECTOR))));
        assertTrue(driver.reap().get(0).ok());
        assertArrayEquals(data, disk.peek(7, 3));
        driver.submit(new BlockRequest(BlockRequest.Op.READ, 8, ScatterList.of(
                buf.segment(4096, 2 * BlockDevice.SECTOR))));
        assertTrue(driver.reap().get(0).ok());
        assertArrayEquals(Arrays.copyOfRange(data, BlockDevice.SECTOR, 3 * BlockDevice.SECTOR),
                buf.read(p.cpu, 4096, 2 * BlockDevice.SECTOR));
        assertEquals(2, disk.requests());
        assertEquals(3 * BlockDevice.SECTOR, disk.bytesWritten());
        assertEquals(2 * BlockDevice.SECTOR, disk.bytesRead());
        assertEquals(0, disk.errors());
        assertEquals(0, driver.inFlight());
        // stopped: the device's ring is disabled
        driver.stop();
        assertTrue(refused(() -> disk.writeTail(0)).contains("tail=0"));
    }

    @Test
    void the_copy_engine_takes_a_length_of_0_or_more_and_reports_an_abort() {
        Platform p = new Platform(IommuMode.DIRECT, Coherency.COHERENT);
        CopyEngine engine = new CopyEngine(p.port);
        assertTrue(refused(() -> engine.writeLength(-1)).contains("bytes=-1"));
        CpuBuffer src = p.memory.allocate(4096);
        CpuBuffer dst = p.memory.allocate(4096);
        src.write(p.cpu, 0, frame(6, 64));
        engine.writeSource(src.paddr());
        engine.writeDestination(dst.paddr());
        engine.writeLength(0);
        assertEquals(DmaStatus.OK, engine.start());
        assertEquals(0, engine.bytesMoved());
        engine.writeLength(64);
        assertEquals(DmaStatus.OK, engine.start());
        assertEquals(DmaStatus.OK, engine.status());
        assertArrayEquals(frame(6, 64), dst.read(p.cpu, 0, 64));
        assertEquals(64, engine.bytesMoved());
        // a source past the machine's memory: refused, nothing copied or counted
        engine.writeSource(1L << 40);
        assertEquals(DmaStatus.ABORT, engine.start());
        assertEquals(DmaStatus.ABORT, engine.status());
        assertEquals(64, engine.bytesMoved());
    }

    @Test
    void the_copy_driver_refuses_an_empty_payload_or_one_longer_than_a_buffer() {
        Platform p = new Platform(IommuMode.DIRECT, Coherency.NON_COHERENT);
        CopyEngineDriver driver = new CopyEngineDriver(p.dev, new CopyEngine(p.port), DriverVariant.CORRECT);
        CpuBuffer small = p.memory.allocate(64);
        CpuBuffer big = p.memory.allocate(128);
        assertTrue(refused(() -> driver.copy(p.cpu, big, big, new byte[0])).contains("payload.length=0"));
        assertTrue(refused(() -> driver.copy(p.cpu, small, big, new byte[65])).contains("src.size=64"));
        assertTrue(refused(() -> driver.copy(p.cpu, big, small, new byte[65])).contains("dst.size=64"));
        assertEquals("payload", assertThrows(NullPointerException.class,
                () -> driver.copy(p.cpu, big, big, null)).getMessage());
        assertEquals("src", assertThrows(NullPointerException.class,
                () -> driver.copy(p.cpu, null, big, new byte[1])).getMessage());
        // exactly the buffers' size is fine
        assertArrayEquals(frame(7, 64), driver.copy(p.cpu, small, big, frame(7, 64)));
    }

    @Test
    void a_leaked_mapping_keeps_its_iova_range_after_the_teardown() {
        // Linux frees a DMA mapping's IOVA only at its unmap: a leak keeps it allocated
        ScenarioResult r = NicScenario.run(ScenarioConfig.of(50, IommuMode.STRICT)
                .withMistake(DriverMistake.LEAK_AT_DETACH).withDebug(DebugMode.WARN));
        assertEquals(1, r.pendingMappings(), r::toString);
        assertEquals(1, r.iovaRangesOutstanding(), r::toString);
        ScenarioResult clean = NicScenario.run(ScenarioConfig.of(50, IommuMode.STRICT));
        assertEquals(0, clean.iovaRangesOutstanding(), clean::toString);
    }

    @Test
    void a_full_block_ring_names_its_usable_slots() {
        Platform p = new Platform(IommuMode.DIRECT, Coherency.NON_COHERENT);
        BlockDevice disk = new BlockDevice(p.port, 64);
        BlockDriver driver = new BlockDriver(p.dev, disk, p.cpu, 4, DriverMistake.CORRECT);
        driver.start();
        CpuBuffer buf = p.memory.allocate(4096);
        BlockRequest write = new BlockRequest(BlockRequest.Op.WRITE, 0, ScatterList.of(buf.segment(0, 512)));
        // one slot stays empty: a ring of 4 holds 3 requests
        for (int i = 0; i < 3; i++) {
            driver.submit(write);
        }
        assertEquals(3, driver.inFlight());
        String full = assertThrows(IllegalStateException.class, () -> driver.submit(write)).getMessage();
        assertTrue(full.contains("all 3 request slots are in flight"), full);
        assertEquals(3, driver.reap().size());
        driver.stop();
    }

    @Test
    void the_copy_driver_reports_an_aborted_copy() {
        // the engine sits behind another machine's SMMU, where none of the driver's IOVAs is
        // mapped: its reads fault and it reports ABORT
        Platform p = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        Platform elsewhere = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        CopyEngineDriver driver = new CopyEngineDriver(p.dev, new CopyEngine(elsewhere.port),
                DriverVariant.CORRECT);
        CpuBuffer src = p.memory.allocate(4096);
        CpuBuffer dst = p.memory.allocate(4096);
        String why = assertThrows(IllegalStateException.class,
                () -> driver.copy(p.cpu, src, dst, frame(8, 64))).getMessage();
        assertTrue(why.contains("ABORT"), why);
        // the scoped mappings were unmapped all the same
        assertTrue(p.dev.pendingMappings().isEmpty());
    }

    @Test
    void the_direct_path_has_no_smmu_events() {
        assertEquals(List.of(), new Platform(IommuMode.DIRECT, Coherency.NON_COHERENT).events());
    }
}

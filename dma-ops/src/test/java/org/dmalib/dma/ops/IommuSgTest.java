package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.junit.jupiter.api.Test;

/** Scatterlists over an SMMUv3 domain in strict mode, end to end, and their error paths. */
class IommuSgTest {

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(p -> out.write(p, 0, p.length));
        return out.toByteArray();
    }

    @Test
    void theDeviceReadsTheListThroughItsMergedSegments() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        CpuBuffer a = r.memory.allocate(8192);
        CpuBuffer b = r.memory.allocate(4096);
        CpuBuffer c = r.memory.allocate(4096);
        byte[] da = Rig.pattern(8192 - 0x200, 1);
        byte[] db = Rig.pattern(4096, 2);
        byte[] dc = Rig.pattern(0x300, 3);
        a.write(r.cpu, 0x200, da);
        b.write(r.cpu, 0, db);
        c.write(r.cpu, 0, dc);
        ScatterList list = ScatterList.of(a.segment(0x200, da.length), b.segment(), c.segment(0, dc.length));
        SmmuDriverCounters before = r.driverCounters();
        HwCounters hw = r.machine.counters();
        DmaMapping m = r.dev.mapSg(r.cpu, list, DmaDirection.TO_DEVICE);
        SmmuDriverCounters d = r.driverCounters().minus(before);
        assertEquals(0, d.tlbiNhVa() + d.tlbiNhAsid() + d.tlbiNhAll() + d.cmdSyncs(), d.toString());
        assertEquals(1, r.machine.counters().minus(hw).barriers(), "one barrier for the list");
        // a starts mid-page and ends on a page end, b is a whole page, c ends mid-page: one
        // DMA segment for all three
        assertEquals(1, m.dmaCount());
        assertEquals(new DmaSegment(m.dmaAddress(), da.length + 4096 + dc.length), m.dmaSegments().get(0));
        assertEquals(0x200, m.dmaAddress() & 0xFFF);
        assertEquals(da.length + 4096 + dc.length, m.size(), "the input segments' bytes");
        assertEquals(list.segments(), m.inputSegments(), "the caller's list is kept as it was");
        assertArrayEquals(concat(List.of(da, db, dc)),
                r.deviceRead(m.dmaAddress(), da.length + 4096 + dc.length));
        long iova = m.dmaAddress();
        SmmuDriverCounters beforeUnmap = r.driverCounters();
        m.unmap(r.cpu);
        assertEquals(1, r.driverCounters().minus(beforeUnmap).cmdSyncs());
        assertEquals(DmaStatus.ABORT, r.tryRead(iova));
        assertFalse(r.anyTranslated(iova, 4 * 4096));
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void aSegmentLongerThanTheMaximumStillTakesTheNextAsLinuxsUnsignedTestDoes() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT,
                p -> p.withMaxSegmentSize(8192).withDebug(DebugMode.WARN));
        CpuBuffer a = r.memory.allocate(3 * 4096);
        CpuBuffer b = r.memory.allocate(4096);
        byte[] da = Rig.pattern(3 * 4096, 4);
        byte[] db = Rig.pattern(4096, 5);
        a.write(r.cpu, 0, da);
        b.write(r.cpu, 0, db);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(a.segment(), b.segment()), DmaDirection.TO_DEVICE);
        // dma-debug reports the over-long input; __finalise_sg's max_len - cur_len wraps
        // (unsigned int), so b is appended to the 12 KiB DMA segment a opened
        assertEquals(List.of(DebugCheck.SG_SEGMENT_TOO_LONG),
                r.dev.debugReports().stream().map(DmaDebugReport::check).toList());
        assertEquals(List.of(new DmaSegment(m.dmaAddress(), 4 * 4096)), m.dmaSegments());
        assertArrayEquals(concat(List.of(da, db)), r.deviceRead(m.dmaAddress(), 4 * 4096));
        r.dev.unmapSg(r.cpu, m.dmaAddress(), 2, DmaDirection.TO_DEVICE);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void theDeviceWritesEverySegmentAndUnmapHandsItToTheCpu() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withMaxSegmentSize(4096));
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(4096);
        a.fill(r.cpu, (byte) 1);
        b.fill(r.cpu, (byte) 2);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(a.segment(), b.segment()),
                DmaDirection.FROM_DEVICE);
        assertEquals(2, m.dmaCount(), "max segment size 4 KiB keeps two segments");
        byte[] wa = Rig.pattern(4096, 8);
        byte[] wb = Rig.pattern(4096, 9);
        r.deviceWrite(m.dmaSegments().get(0).dmaAddress(), wa);
        r.deviceWrite(m.dmaSegments().get(1).dmaAddress(), wb);
        m.syncForCpu(r.cpu, 4096, 4096);
        assertArrayEquals(wb, b.read(r.cpu, 0, 4096));
        m.unmap(r.cpu);
        assertArrayEquals(wa, a.read(r.cpu, 0, 4096));
    }

    @Test
    void contiguousSegmentsAreMappedTogetherWithABlock() {
        IommuRig r = new IommuRig(Coherency.COHERENT, p -> p.withDmaMask(-1L));
        // warm the upper tables near the top of the 32-bit space first
        DmaMapping warm = r.dev.mapSingle(r.cpu, r.memory.allocate(4096), DmaDirection.TO_DEVICE);
        CpuBuffer big = r.memory.allocateAbove(64L << 20, 2 << 20);
        assertEquals(0, big.paddr() % (2 << 20));
        Segment[] pages = new Segment[512];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = big.segment(i * 4096, 4096);
        }
        long tables = r.tables.bytesInUse();
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(pages), DmaDirection.TO_DEVICE);
        assertEquals(tables, r.tables.bytesInUse(), "one 2 MiB block, no last-level table");
        assertEquals(32, m.dmaCount(), "64 KiB DMA segments");
        assertEquals(big.paddr() + 0x12345, r.domain.iovaToPhys(m.dmaAddress() + 0x12345).orElseThrow());
        m.unmap(r.cpu);
        warm.unmap(r.cpu);
    }

    @Test
    void iovaExhaustionLeavesNothingBehind() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, DeviceParams.bitMask(16));
        CpuBuffer buf = r.memory.allocate(5 * 16384);
        Segment[] segs = new Segment[5];
        for (int i = 0; i < segs.length; i++) {
            segs[i] = buf.segment(i * 16384, 16384);
        }
        DmaMappingException e = assertThrows(IovaSpaceExhaustedException.class,
                () -> r.dev.mapSg(r.cpu, ScatterList.of(segs), DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().contains("dmaMask=0xffff"), e.getMessage());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void aPageTableFailurePartWayUnmapsWhatWasMappedAndFreesTheIova() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        FailingDomain failing = new FailingDomain((GatheringDomain) r.domain, 3);
        IommuDmaDomain dd = IommuDmaDomain.create(r.memory, failing);
        DmaDevice dev = DmaDevice.create(r.memory, r.dev.params(), dd);
        CpuBuffer a = r.memory.allocate(4096);
        // holes between them: a, b and c are not physically contiguous, three runs
        CpuBuffer hole1 = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(4096);
        CpuBuffer hole2 = r.memory.allocate(4096);
        CpuBuffer c = r.memory.allocate(4096);
        ScatterList list = ScatterList.of(a.segment(), b.segment(), c.segment());
        int slots = r.memory.bounceSlotsInUse();
        IommuMappingException e = assertThrows(IommuMappingException.class,
                () -> dev.mapSg(r.cpu, list, DmaDirection.BIDIRECTIONAL));
        assertTrue(e.getCause() instanceof IllegalStateException, e.toString());
        assertEquals(2, failing.mapped.size(), "two runs were mapped before the failure");
        for (long[] run : failing.mapped) {
            assertFalse(r.anyTranslated(run[0], run[1]), "run at iova=" + run[0] + " stays mapped");
            assertEquals(DmaStatus.ABORT, r.tryRead(run[0]));
        }
        assertEquals(0, dd.iovaRangesOutstanding());
        assertEquals(slots, r.memory.bounceSlotsInUse());
        assertTrue(dev.pendingMappings().isEmpty());
        assertFalse(hole1.isFreed() || hole2.isFreed());
    }

    @Test
    void boundaryPaddingPutsTheNextSegmentOnABoundaryAndTheDeviceReadsBoth() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT,
                p -> p.withSegmentBoundaryMask(0xFFFF).withMaxSegmentSize(1 << 20));
        CpuBuffer a = r.memory.allocate(0xC000);
        CpuBuffer b = r.memory.allocate(0x8000);
        byte[] da = Rig.pattern(0xC000, 11);
        byte[] db = Rig.pattern(0x8000, 12);
        a.write(r.cpu, 0, da);
        b.write(r.cpu, 0, db);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(a.segment(), b.segment()), DmaDirection.TO_DEVICE);
        assertEquals(2, m.dmaCount());
        DmaSegment first = m.dmaSegments().get(0);
        DmaSegment second = m.dmaSegments().get(1);
        assertEquals(first.dmaAddress() + 0x10000, second.dmaAddress(), "0x4000 of padding after a");
        assertEquals(0, second.dmaAddress() & 0xFFFF, "b starts on the 64 KiB boundary");
        assertEquals(0xC000 + 0x8000, m.size(), "the input segments' bytes, not the padding");
        assertArrayEquals(da, r.deviceRead(first.dmaAddress(), 0xC000));
        assertArrayEquals(db, r.deviceRead(second.dmaAddress(), 0x8000));
        // the padding is really mapped, to whatever follows a physically
        assertEquals(a.paddr() + 0xC000, r.domain.iovaToPhys(first.dmaAddress() + 0xC000).orElseThrow());
        m.unmap(r.cpu);
        assertFalse(r.anyTranslated(first.dmaAddress(), 0x18000));
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }
}

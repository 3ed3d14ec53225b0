package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every misuse gets a {@link DmaUsageException} naming the bad value, and changes nothing: no
 * mapping made or removed, no bounce slot or page taken, no cache maintenance.
 */
class MisuseTest {
    private static final long MASK_16M = DeviceParams.bitMask(24);

    private final Rig r = new Rig(Coherency.NON_COHERENT, MASK_16M);
    private final CpuBuffer low = r.memory.allocate(4096);
    private final CpuBuffer high = r.memory.allocateAbove(32L << 20, 4096);

    /** Runs {@code call}, expects the exception naming {@code named}, and checks nothing changed. */
    private void rejects(String named, Executable call) {
        List<PendingMapping> pending = r.dev.pendingMappings();
        int slots = r.memory.bounceSlotsInUse();
        int pages = r.memory.pagesInUse();
        HwCounters before = r.counters();
        DmaUsageException e = assertThrows(DmaUsageException.class, call);
        assertTrue(e.getMessage().contains(named), () -> "message names " + named + ": " + e.getMessage());
        assertEquals(pending, r.dev.pendingMappings());
        assertEquals(slots, r.memory.bounceSlotsInUse());
        assertEquals(pages, r.memory.pagesInUse());
        assertEquals(before, r.counters(), "no cache maintenance, no access");
    }

    @Test
    void nullArguments() {
        rejects("cpu=null", () -> r.dev.mapSingle(null, high, DmaDirection.TO_DEVICE));
        rejects("buffer=null", () -> r.dev.mapSingle(r.cpu, (CpuBuffer) null, DmaDirection.TO_DEVICE));
        rejects("dir=null", () -> r.dev.mapSingle(r.cpu, high, null));
        rejects("list=null", () -> r.dev.mapSg(r.cpu, null, DmaDirection.TO_DEVICE));
        rejects("dir=null", () -> r.dev.unmapSingle(r.cpu, low.paddr(), 4096, null));
        rejects("cpu=null", () -> r.dev.allocCoherent(null, 4096));
        rejects("memory=null", () -> DmaDevice.create(null, r.dev.params()));
        rejects("port=null", () -> DeviceParams.of(null));
    }

    @Test
    void badSizesAddressesAndDirections() {
        rejects("size=0", () -> r.dev.mapSingle(r.cpu, low.paddr(), 0, DmaDirection.TO_DEVICE));
        rejects("size=-1", () -> r.dev.mapSingle(r.cpu, low.paddr(), -1, DmaDirection.TO_DEVICE));
        rejects("paddr=-4096", () -> r.dev.mapSingle(r.cpu, -4096, 64, DmaDirection.TO_DEVICE));
        rejects("paddr=0x4000000", () -> r.dev.mapSingle(r.cpu, 64L << 20, 64, DmaDirection.TO_DEVICE));
        rejects("dir=NONE", () -> r.dev.mapSingle(r.cpu, high, DmaDirection.NONE));
        rejects("dir=NONE", () -> r.dev.mapSg(r.cpu, ScatterList.of(high.segment()), DmaDirection.NONE));
        rejects("size=0", () -> r.dev.allocCoherent(r.cpu, 0));
        rejects("dmaMask=0x1000", () -> r.dev.params().withDmaMask(0x1000));
        rejects("maxSegmentSize=0", () -> r.dev.params().withMaxSegmentSize(0));
        rejects("bits=65", () -> DeviceParams.bitMask(65));
    }

    @Test
    void aCpuOfAnotherMachine() {
        Cpu foreign = Machine.create(MachineConfig.of(1L << 20)).cpu(0);
        rejects("cpu=0", () -> r.dev.mapSingle(foreign, high, DmaDirection.TO_DEVICE));
    }

    @Test
    void aCpuOfAnotherMachineIsRefusedByEveryCallThatTakesOne() {
        // one machine has as few CPUs as the device's (cpu 0), the other one more (cpu 2)
        Machine bigger = Machine.create(new MachineConfig(1L << 20, 3, CacheGeometry.DEFAULT));
        DmaMapping m = r.dev.mapSingle(r.cpu, low, DmaDirection.BIDIRECTIONAL);
        CpuBuffer other = r.memory.allocate(4096);
        DmaMapping sg = r.dev.mapSg(r.cpu, ScatterList.of(other.segment()), DmaDirection.TO_DEVICE);
        CoherentBuffer coherent = r.dev.allocCoherent(r.cpu, 4096);
        long bidi = m.dmaAddress();
        long list = sg.dmaAddress();
        for (Cpu foreign : List.of(Machine.create(MachineConfig.of(1L << 20)).cpu(0), bigger.cpu(2))) {
            String named = "cpu=" + foreign.id() + " is not a CPU of the device's machine";
            rejects(named, () -> r.dev.mapSingle(foreign, high, DmaDirection.TO_DEVICE));
            rejects(named, () -> r.dev.mapSingle(foreign, high.paddr(), 64, DmaDirection.TO_DEVICE));
            rejects(named, () -> r.dev.mapPage(foreign, high.paddr(), 64, DmaDirection.TO_DEVICE));
            rejects(named, () -> r.dev.mapSg(foreign, ScatterList.of(high.segment()), DmaDirection.TO_DEVICE));
            rejects(named, () -> r.dev.allocCoherent(foreign, 4096));
            rejects(named, () -> r.dev.unmapSingle(foreign, bidi, 4096, DmaDirection.BIDIRECTIONAL));
            rejects(named, () -> r.dev.unmapSg(foreign, list, 1, DmaDirection.TO_DEVICE));
            rejects(named, () -> r.dev.syncSingleForCpu(foreign, bidi, 64, DmaDirection.BIDIRECTIONAL));
            rejects(named, () -> r.dev.syncSingleForDevice(foreign, bidi, 64, DmaDirection.BIDIRECTIONAL));
            rejects(named, () -> r.dev.syncSgForCpu(foreign, list, 1, DmaDirection.TO_DEVICE));
            rejects(named, () -> r.dev.syncSgForDevice(foreign, list, 1, DmaDirection.TO_DEVICE));
            rejects(named, () -> m.syncForCpu(foreign));
            rejects(named, () -> m.syncForDevice(foreign));
            rejects(named, () -> m.syncForDevice(foreign, 0, 64));
            rejects(named, () -> m.unmap(foreign));
            rejects(named, () -> coherent.write(foreign, 0, new byte[1]));
            rejects(named, () -> coherent.read(foreign, 0, 1));
        }
        assertTrue(m.isMapped() && sg.isMapped() && !coherent.isFreed());
        m.unmap(r.cpu);
        sg.unmap(r.cpu);
        coherent.free();
    }

    @Test
    void aCpuBufferRefusesACpuOfAnotherMachineAndTouchesNeitherMachine() {
        Machine smaller = Machine.create(MachineConfig.of(64L << 20));
        Machine bigger = Machine.create(new MachineConfig(64L << 20, 3, CacheGeometry.DEFAULT));
        for (Cpu foreign : List.of(smaller.cpu(0), bigger.cpu(2))) {
            String named = "cpu=" + foreign.id() + " is not a CPU of the buffer's machine";
            rejects(named, () -> low.write(foreign, 0, new byte[] {42}));
            rejects(named, () -> low.read(foreign, 0, 1));
            rejects(named, () -> low.fill(foreign, (byte) 42));
        }
        // the foreign machines' RAM and caches at the buffer's address were never touched
        for (Machine m : List.of(smaller, bigger)) {
            assertEquals(HwCounters.ZERO, m.counters());
            assertEquals(0, m.memory().readLong(low.paddr()));
        }
    }

    @Test
    void mapPageAndListSegmentsOutsideMemoryAreUsageErrorsNotTheErrorValue() {
        long memory = 64L << 20;
        rejects("paddr=0x4000000", () -> r.dev.mapPage(r.cpu, memory, 64, DmaDirection.TO_DEVICE));
        rejects("paddr=0x3ffffc0 size=128", () -> r.dev.mapPage(r.cpu, memory - 64, 128, DmaDirection.TO_DEVICE));
        rejects("size=0", () -> r.dev.mapPage(r.cpu, low.paddr(), 0, DmaDirection.TO_DEVICE));
        rejects("dir=NONE", () -> r.dev.mapPage(r.cpu, low.paddr(), 64, DmaDirection.NONE));
        rejects("segment[1].paddr=0x3ffffc0 size=128", () -> r.dev.mapSg(r.cpu,
                ScatterList.of(low.segment(), Segment.ofPhysical(memory - 64, 128)), DmaDirection.TO_DEVICE));
        rejects("segment[0].paddr=0x4000000 size=64", () -> r.dev.mapSg(r.cpu,
                ScatterList.of(Segment.ofPhysical(memory, 64)), DmaDirection.TO_DEVICE));
        // the last bytes of memory are a segment (above the mask: bounced)
        CpuBuffer top = r.memory.allocateAbove(memory - 4096, 4096);
        assertEquals(memory, top.end());
        DmaMapping last = r.dev.mapSg(r.cpu, ScatterList.of(top.segment(4096 - 64, 64)), DmaDirection.TO_DEVICE);
        assertTrue(last.isBounced());
        last.unmap(r.cpu);
    }

    @Test
    void masksMustBeAllOnesBelowABitFromTwelveToSixtyFour() {
        rejects("dmaMask=0x7ff must be 2^n - 1", () -> r.dev.params().withDmaMask(0x7FF));
        rejects("segmentBoundaryMask=0x1000 must be 2^n - 1",
                () -> r.dev.params().withSegmentBoundaryMask(0x1000));
        rejects("segmentBoundaryMask=0x7ff must be 2^n - 1",
                () -> r.dev.params().withSegmentBoundaryMask(0x7FF));
        rejects("bits=11 must be from 12 to 64", () -> DeviceParams.bitMask(11));
        assertEquals(0xFFF, DeviceParams.bitMask(12));
        assertEquals(-1L, DeviceParams.bitMask(64));
        assertEquals(0xFFF, r.dev.params().withDmaMask(0xFFF).dmaMask());
        assertEquals(0xFFF, r.dev.params().withSegmentBoundaryMask(0xFFF).segmentBoundaryMask());
    }

    @Test
    void aFreedBufferIsNeitherReadNorWrittenNorFilled() {
        CpuBuffer gone = r.memory.allocate(4096);
        gone.write(r.cpu, 0, new byte[] {1});
        r.memory.free(gone);
        rejects("is freed", () -> gone.write(r.cpu, 0, new byte[] {2}));
        rejects("is freed", () -> gone.read(r.cpu, 0, 1));
        rejects("is freed", () -> gone.fill(r.cpu, (byte) 3));
        rejects("cpu=null", () -> low.read(null, 0, 1));
        rejects("cpu=null", () -> low.fill(null, (byte) 3));
        assertTrue(gone.isFreed());
        assertTrue(!low.isFreed());
    }

    @Test
    void aFreedCoherentBufferIsNeitherReadNorWrittenNorFreedAgain() {
        CoherentBuffer c = r.dev.allocCoherent(r.cpu, 4096);
        String freed = String.format("dmaAddress=0x%x size=4096 is freed (use after free)", c.dmaAddress());
        c.free();
        assertTrue(c.isFreed());
        rejects(freed, () -> c.write(r.cpu, 0, new byte[1]));
        rejects(freed, () -> c.read(r.cpu, 0, 1));
        rejects("free twice", c::free);
        rejects(String.format("dmaAddress=0x%x", c.dmaAddress()),
                () -> r.dev.freeCoherent(4096, c.cpuAddress(), c.dmaAddress()));
    }

    @Test
    void aFreedBufferOrOneOfAnotherAllocator() {
        CpuBuffer gone = r.memory.allocate(4096);
        r.memory.free(gone);
        rejects("is freed", () -> r.dev.mapSingle(r.cpu, gone, DmaDirection.TO_DEVICE));
        rejects("is freed already", () -> r.memory.free(gone));
        PageAllocator other = PageAllocator.create(
                Machine.create(MachineConfig.of(4L << 20)), 0);
        CpuBuffer foreign = other.allocate(4096);
        rejects("not from the device's allocator", () -> r.dev.mapSingle(r.cpu, foreign, DmaDirection.TO_DEVICE));
    }

    @Test
    void scatterlistSegmentLimits() {
        CpuBuffer big = r.memory.allocate(128 * 1024);
        rejects("segment[1].length=65537", () -> r.dev.mapSg(r.cpu,
                ScatterList.of(big.segment(0, 4096), big.segment(4096, 65537)), DmaDirection.TO_DEVICE));
        DmaDevice bounded = DmaDevice.create(r.memory,
                r.dev.params().withSegmentBoundaryMask(0xFFFF).withDmaMask(-1L));
        long crossing = (big.paddr() | 0xFFFF) - 63;
        List<PendingMapping> before = bounded.pendingMappings();
        DmaUsageException e = assertThrows(DmaUsageException.class, () -> bounded.mapSg(r.cpu,
                ScatterList.of(Segment.ofPhysical(crossing, 128)), DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().contains("segmentBoundaryMask=0xffff"), e.getMessage());
        assertEquals(before, bounded.pendingMappings());
    }

    @Test
    void unmapTwiceAndMismatchedUnmap() {
        DmaMapping m = r.dev.mapSingle(r.cpu, high, DmaDirection.FROM_DEVICE);
        long addr = m.dmaAddress();
        rejects("size=2048", () -> r.dev.unmapSingle(r.cpu, addr, 2048, DmaDirection.FROM_DEVICE));
        rejects("dir=TO_DEVICE", () -> r.dev.unmapSingle(r.cpu, addr, 4096, DmaDirection.TO_DEVICE));
        rejects("dmaAddress=0x123000", () -> r.dev.unmapSingle(r.cpu, 0x123000, 4096, DmaDirection.FROM_DEVICE));
        r.dev.unmapSingle(r.cpu, addr, 4096, DmaDirection.FROM_DEVICE);
        rejects("unmap twice", () -> m.unmap(r.cpu));
        rejects(String.format("dmaAddress=0x%x", addr),
                () -> r.dev.unmapSingle(r.cpu, addr, 4096, DmaDirection.FROM_DEVICE));

        DmaMapping sg = r.dev.mapSg(r.cpu, ScatterList.of(low.segment()), DmaDirection.TO_DEVICE);
        rejects("mapped as SCATTER_GATHER",
                () -> r.dev.unmapSingle(r.cpu, low.paddr(), 4096, DmaDirection.TO_DEVICE));
        sg.unmap(r.cpu);
    }

    @Test
    void syncOutsideTheMappingOrAfterUnmap() {
        DmaMapping m = r.dev.mapSingle(r.cpu, low, DmaDirection.BIDIRECTIONAL);
        rejects("offset=4000 length=200", () -> m.syncForCpu(r.cpu, 4000, 200));
        rejects("offset=-1", () -> m.syncForDevice(r.cpu, -1, 64));
        rejects("length=0", () -> m.syncForDevice(r.cpu, 0, 0));
        rejects("cpu=null", () -> m.syncForCpu(null));
        m.unmap(r.cpu);
        rejects("sync after unmap", () -> m.syncForCpu(r.cpu));
    }

    @Test
    void scopedMappingClosedTwice() {
        ScopedDmaMapping[] escaped = new ScopedDmaMapping[1];
        try (ScopedDmaMapping m = r.dev.mapSingleScoped(r.cpu, low, DmaDirection.TO_DEVICE)) {
            escaped[0] = m;
        }
        rejects("unmap twice", escaped[0]::close);
    }

    @Test
    void aDetachedDeviceMapsNothing() {
        r.dev.detach();
        rejects("streamId=1 is detached", () -> r.dev.mapSingle(r.cpu, low, DmaDirection.TO_DEVICE));
        rejects("streamId=1 is detached", () -> r.dev.allocCoherent(r.cpu, 4096));
        rejects("streamId=1 is detached", r.dev::detach);
    }

    @Test
    void rangesThatWrapPastTheTopOfTheAddressSpaceAreOutsideMemoryOrTheMapping() {
        long top = Long.MAX_VALUE - 10;
        rejects("paddr=0x7ffffffffffffff5 size=100", () -> r.dev.mapSingle(r.cpu, top, 100, DmaDirection.TO_DEVICE));
        rejects("paddr=0x7ffffffffffffff5 size=100", () -> r.dev.mapPage(r.cpu, top, 100, DmaDirection.TO_DEVICE));
        rejects("size=" + Long.MAX_VALUE, () -> r.dev.mapSingle(r.cpu, low.paddr(), Long.MAX_VALUE, DmaDirection.TO_DEVICE));
        rejects("size=" + Long.MAX_VALUE, () -> r.dev.mapPage(r.cpu, low.paddr(), Long.MAX_VALUE, DmaDirection.TO_DEVICE));
        DmaMapping m = r.dev.mapSingle(r.cpu, low, DmaDirection.BIDIRECTIONAL);
        long addr = m.dmaAddress();
        // offset + length would wrap to a small number
        rejects("offset=1 length=" + Long.MAX_VALUE, () -> m.syncForCpu(r.cpu, 1, Long.MAX_VALUE));
        rejects("offset=" + Long.MAX_VALUE + " length=1", () -> m.syncForDevice(r.cpu, Long.MAX_VALUE, 1));
        rejects("[sync size=" + Long.MAX_VALUE + " bytes]",
                () -> r.dev.syncSingleForCpu(r.cpu, addr, Long.MAX_VALUE, DmaDirection.BIDIRECTIONAL));
        rejects("[bytes left in the DMA segment=4095]",
                () -> r.dev.syncSingleForDevice(r.cpu, addr + 1, 4096, DmaDirection.BIDIRECTIONAL));
        rejects("size=0 must be positive", () -> r.dev.syncSingleForCpu(r.cpu, addr, 0, DmaDirection.BIDIRECTIONAL));
        rejects("nents=0 must be positive", () -> r.dev.unmapSg(r.cpu, addr, 0, DmaDirection.BIDIRECTIONAL));
        rejects("nents=-1 must be positive", () -> r.dev.syncSgForCpu(r.cpu, addr, -1, DmaDirection.BIDIRECTIONAL));
        rejects("dir=NONE", () -> r.dev.syncSgForDevice(r.cpu, addr, 1, DmaDirection.NONE));
        rejects("dir=NONE", () -> r.dev.syncSingleForCpu(r.cpu, addr, 64, DmaDirection.NONE));
        rejects(String.format("[device address=0x%x]", -1L),
                () -> r.dev.syncSingleForCpu(r.cpu, -1L, 1, DmaDirection.BIDIRECTIONAL));
        assertTrue(m.isMapped());
        r.dev.syncSingleForCpu(r.cpu, addr + 4095, 1, DmaDirection.BIDIRECTIONAL);
        m.unmap(r.cpu);
    }

    @Test
    void anotherDevicesMappingsAreNotFoundByAddressAndStayMapped() {
        DmaDevice other = DmaDevice.create(r.memory, DeviceParams.of(r.machine.attach(2, Coherency.NON_COHERENT)));
        DmaMapping m = r.dev.mapSingle(r.cpu, low, DmaDirection.FROM_DEVICE);
        CpuBuffer pair = r.memory.allocate(8192);
        DmaMapping sg = r.dev.mapSg(r.cpu, ScatterList.of(pair.segment(0, 4096), pair.segment(4096, 4096)),
                DmaDirection.TO_DEVICE);
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 4096);
        String single = String.format("dmaAddress=0x%x", m.dmaAddress());
        String list = String.format("dmaAddress=0x%x", sg.dmaAddress());
        rejects(single, () -> other.unmapSingle(r.cpu, m.dmaAddress(), 4096, DmaDirection.FROM_DEVICE));
        rejects(list, () -> other.unmapSg(r.cpu, sg.dmaAddress(), 2, DmaDirection.TO_DEVICE));
        rejects(single, () -> other.syncSingleForCpu(r.cpu, m.dmaAddress(), 64, DmaDirection.FROM_DEVICE));
        rejects(list, () -> other.syncSgForDevice(r.cpu, sg.dmaAddress(), 2, DmaDirection.TO_DEVICE));
        rejects(String.format("dmaAddress=0x%x", ring.dmaAddress()),
                () -> other.freeCoherent(4096, ring.cpuAddress(), ring.dmaAddress()));
        // the reports are the other device's, about no mapping of its own
        assertEquals(5, other.debugReportCount());
        assertTrue(other.debugReports().stream().allMatch(rep -> rep.mapping().isEmpty() && rep.streamId() == 2));
        assertEquals(0, r.dev.debugReportCount());
        assertTrue(m.isMapped() && sg.isMapped() && !ring.isFreed());
        r.dev.unmapSingle(r.cpu, m.dmaAddress(), 4096, DmaDirection.FROM_DEVICE);
        r.dev.unmapSg(r.cpu, sg.dmaAddress(), 2, DmaDirection.TO_DEVICE);
        r.dev.freeCoherent(4096, ring.cpuAddress(), ring.dmaAddress());
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void everyOtherNullOrNegativeParameterIsNamed() {
        DeviceParams p = r.dev.params();
        rejects("streamId=-1", () -> new DeviceParams(-1, false, -1L, 4096, -1L, FlushMode.STRICT, false,
                DebugMode.THROW));
        rejects("flushMode=null", () -> p.withFlushMode(null));
        rejects("debug=null", () -> p.withDebug(null));
        rejects("maxSegmentSize=-1", () -> p.withMaxSegmentSize(-1));
        rejects("segmentBoundaryMask=0x0", () -> p.withSegmentBoundaryMask(0));
        rejects("params=null", () -> DmaDevice.create(r.memory, null));
        rejects("domain=null", () -> DmaDevice.create(r.memory, p, null));
        rejects("machine=null", () -> PageAllocator.create(null));
        rejects("buffer=null", () -> r.memory.free(null));
        rejects("floor=-1", () -> r.memory.allocateAbove(-1, 4096));
        rejects("size=-1 must be positive", () -> r.dev.allocCoherent(r.cpu, -1));
        DmaMapping m = r.dev.mapSingle(r.cpu, low, DmaDirection.TO_DEVICE);
        rejects("cpu=null", () -> m.unmap(null));
        rejects("cpu=null", () -> m.syncForDevice(null, 0, 64));
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 4096);
        rejects("data=null", () -> ring.write(r.cpu, 0, null));
        rejects("data=null", () -> low.write(r.cpu, 0, null));
        rejects("length=0", () -> low.segment(0, 0));
        assertTrue(m.isMapped() && !ring.isFreed());
        m.unmap(r.cpu);
        ring.free();
    }

    @Test
    void anUnmapByAddressWithANegativeSizeIsRefusedNotTakenForAnySize() {
        DmaMapping m = r.dev.mapSingle(r.cpu, high, DmaDirection.FROM_DEVICE);
        rejects("size=-1 must not be negative",
                () -> r.dev.unmapSingle(r.cpu, m.dmaAddress(), -1, DmaDirection.FROM_DEVICE));
        rejects("size=" + Long.MIN_VALUE + " must not be negative",
                () -> r.dev.unmapSingle(r.cpu, m.dmaAddress(), Long.MIN_VALUE, DmaDirection.FROM_DEVICE));
        assertTrue(m.isMapped());
        assertEquals(0, r.dev.debugReportCount());
        r.dev.unmapSingle(r.cpu, m.dmaAddress(), 4096, DmaDirection.FROM_DEVICE);
        assertEquals(0, r.memory.bounceSlotsInUse());
    }
}

package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.dma.ops.internal.iommu.IommuDma;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.junit.jupiter.api.Test;

/** Single mappings over an SMMUv3 domain in strict mode, observed through the hardware. */
class IommuSingleTest {
    private static final int SIZE = 8192;

    @Test
    void theDeviceReadsTheBufferThroughTheIovaAndMapIssuesNoTlbi() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        byte[] data = Rig.pattern(SIZE, 3);
        buf.write(r.cpu, 0, data);
        SmmuDriverCounters before = r.driverCounters();
        HwCounters hw = r.machine.counters();
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        SmmuDriverCounters d = r.driverCounters().minus(before);
        assertEquals(0, d.tlbiNhVa() + d.tlbiNhAsid() + d.tlbiNhAll() + d.cmdSyncs(),
                "map must not pay for a TLB flush: " + d);
        assertEquals(1, r.machine.counters().minus(hw).barriers(), "clean with one barrier");
        assertTrue(m.isIommu());
        assertNotEquals(buf.paddr(), m.dmaAddress(), "the device gets an IOVA");
        assertEquals(buf.paddr(), r.domain.iovaToPhys(m.dmaAddress()).orElseThrow());
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE));
        assertEquals(DmaStatus.ABORT, r.tryWrite(m.dmaAddress()), "TO_DEVICE maps read-only");
        m.unmap(r.cpu);
    }

    @Test
    void afterUnmapTheDeviceFaultsAndOneSyncWasIssued() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.BIDIRECTIONAL);
        // the device warms the IOTLB
        assertEquals(SIZE, r.deviceRead(m.dmaAddress(), SIZE).length);
        long iova = m.dmaAddress();
        SmmuDriverCounters before = r.driverCounters();
        m.unmap(r.cpu);
        SmmuDriverCounters d = r.driverCounters().minus(before);
        assertEquals(1, d.cmdSyncs(), "strict: one sync per unmap call: " + d);
        assertTrue(d.tlbiNhVa() + d.tlbiNhAsid() >= 1, "the gathered range is invalidated: " + d);
        assertEquals(DmaStatus.ABORT, r.tryRead(iova));
        assertEquals(DmaStatus.ABORT, r.tryRead(iova + SIZE - 1));
        assertFalse(r.anyTranslated(iova, SIZE));
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void theOffsetWithinTheGranuleIsPreserved() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(3 * 4096);
        byte[] data = Rig.pattern(5000, 4);
        buf.write(r.cpu, 0x123, data);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf.paddr() + 0x123, data.length, DmaDirection.TO_DEVICE);
        assertEquals(0x123, m.dmaAddress() & 0xFFF);
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), data.length));
        r.dev.unmapSingle(r.cpu, m.dmaAddress(), data.length, DmaDirection.TO_DEVICE);
        assertFalse(m.isMapped());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void fromDeviceTheCpuSeesTheDeviceWriteAfterUnmapAndSyncsWork() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        buf.fill(r.cpu, (byte) 0x55); // stale dirty lines the map must clean away
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.FROM_DEVICE);
        // FROM_DEVICE asks for WRITE only; LPAE stage 1 has no write-only permission, so the
        // page is read-write, as on Linux
        byte[] first = Rig.pattern(SIZE, 5);
        r.deviceWrite(m.dmaAddress(), first);
        m.syncForCpu(r.cpu);
        assertArrayEquals(first, buf.read(r.cpu, 0, SIZE));
        m.syncForDevice(r.cpu);
        byte[] second = Rig.pattern(SIZE, 6);
        r.deviceWrite(m.dmaAddress(), second);
        m.unmap(r.cpu);
        assertArrayEquals(second, buf.read(r.cpu, 0, SIZE));
    }

    @Test
    void aCoherentDeviceGetsNoMaintenance() {
        IommuRig r = new IommuRig(Coherency.COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        byte[] data = Rig.pattern(SIZE, 7);
        buf.write(r.cpu, 0, data);
        HwCounters before = r.machine.counters();
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.BIDIRECTIONAL);
        m.unmap(r.cpu);
        HwCounters d = r.machine.counters().minus(before);
        assertEquals(0, d.barriers() + d.linesCleaned() + d.linesInvalidated());
    }

    @Test
    void iovasStayBelowTheMaskAndAvoidPageZeroAndTheMsiWindow() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, DeviceParams.bitMask(28));
        CpuBuffer buf = r.memory.allocate(64 * 1024);
        java.util.List<DmaMapping> all = new java.util.ArrayList<>();
        long windowEnd = IommuDma.MSI_IOVA_BASE + IommuDma.MSI_IOVA_LENGTH;
        // 28 bits = 256 MiB of IOVA, minus the MSI window: fill a good part of it
        for (int i = 0; i < 1000; i++) {
            DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
            long a = m.dmaAddress();
            assertTrue(a >= 4096 && a + buf.size() - 1 <= DeviceParams.bitMask(28), "iova=" + a);
            assertTrue(a + buf.size() <= IommuDma.MSI_IOVA_BASE || a >= windowEnd, "iova=" + a);
            all.add(m);
        }
        all.forEach(m -> m.unmap(r.cpu));
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void theMsiWindowIsReservedAndMappingsThatReachItGoAround() {
        IommuRig r = new IommuRig(Coherency.COHERENT, DeviceParams.bitMask(28));
        long lo = IommuDma.MSI_IOVA_BASE >>> 12;
        long hi = (IommuDma.MSI_IOVA_BASE + IommuDma.MSI_IOVA_LENGTH - 1) >>> 12;
        assertTrue(r.dmaDomain.dma().iovas().treeRanges()
                .contains(new org.dmalib.dma.ops.internal.iova.IovaRange(lo, hi, true)));
        // 1 MiB mappings top-down from 256 MiB: the 129th would be the window's MiB
        CpuBuffer buf = r.memory.allocate(1 << 20);
        java.util.List<DmaMapping> all = new java.util.ArrayList<>();
        for (int i = 0; i < 130; i++) {
            DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
            long a = m.dmaAddress();
            assertTrue(a + buf.size() <= IommuDma.MSI_IOVA_BASE
                    || a >= IommuDma.MSI_IOVA_BASE + IommuDma.MSI_IOVA_LENGTH, "iova=" + a);
            all.add(m);
        }
        assertTrue(all.get(all.size() - 1).dmaAddress() < IommuDma.MSI_IOVA_BASE, "the mappings went past it");
        all.forEach(m -> m.unmap(r.cpu));
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void aDetachedDeviceTouchesNeitherTheIovaSpaceNorThePageTables() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        assertFalse(r.dev.isDetached());
        r.dev.detach();
        assertTrue(r.dev.isDetached());
        SmmuDriverCounters driver = r.driverCounters();
        HwCounters hw = r.machine.counters();
        java.util.List<Object> iovas = java.util.List.of(r.dmaDomain.dma().iovas().treeRanges(),
                r.dmaDomain.dma().iovas().cachedCount(0, 1));
        DmaUsageException e = assertThrows(DmaUsageException.class,
                () -> r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().contains("is detached"), e::getMessage);
        assertEquals(driver, r.driverCounters(), "no page-table work, no invalidation");
        assertEquals(hw, r.machine.counters());
        assertEquals(iovas, java.util.List.of(r.dmaDomain.dma().iovas().treeRanges(),
                r.dmaDomain.dma().iovas().cachedCount(0, 1)), "no IOVA taken and cached");
    }

    @Test
    void theDeviceAndItsMappingsSayTheyAreOverTheIommu() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, DeviceParams.bitMask(40));
        assertEquals(java.util.Optional.of(r.dmaDomain), r.dev.iommuDomain());
        assertEquals(IommuRig.SID, r.dev.streamId());
        assertEquals(DeviceParams.bitMask(40), r.dev.dmaMask());
        CpuBuffer buf = r.memory.allocate(SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        assertTrue(m.isIommu());
        assertEquals(java.util.List.of(new IovaRange(m.dmaAddress(), SIZE)), m.iovaRanges());
        m.unmap(r.cpu);

        Rig direct = new Rig(Coherency.NON_COHERENT);
        assertEquals(java.util.Optional.empty(), direct.dev.iommuDomain());
        DmaMapping d = direct.dev.mapSingle(direct.cpu, direct.memory.allocate(SIZE), DmaDirection.TO_DEVICE);
        assertFalse(d.isIommu());
        assertEquals(java.util.List.of(), d.iovaRanges());
        d.unmap(direct.cpu);
    }

    @Test
    void iovaExhaustionIsTypedAndLeavesNothingBehind() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, DeviceParams.bitMask(16));
        CpuBuffer buf = r.memory.allocate(32 * 1024);
        // 16 bits = 16 granules minus page 0: one 32 KiB range fits, a second cannot
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        assertThrows(IovaSpaceExhaustedException.class,
                () -> r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE));
        assertEquals(1, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(1, r.dev.pendingMappings().size());
        m.unmap(r.cpu);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void aDomainMustBeADmaDomainOfTheSameAllocator() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        assertThrows(DmaUsageException.class, () -> IommuDmaDomain.create(r.memory,
                r.driver.allocateDomain(DomainType.UNMANAGED, InvalidationStrategy.LINUX, 4096, 48)));
        PageAllocator other = PageAllocator.create(r.machine, 0);
        assertThrows(DmaUsageException.class,
                () -> DmaDevice.create(other, r.dev.params(), r.dmaDomain));
    }

    @Test
    void theTableRegionIsNeverHandedOut() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        assertEquals(IommuRig.TABLES / PageAllocator.PAGE_SIZE, r.memory.pagesReserved());
        assertEquals(0, r.tableBase % IommuRig.TABLES, "top-down at the alignment");
        for (int i = 0; i < 50; i++) {
            CpuBuffer b = r.memory.allocate(1 << 20);
            assertTrue(b.end() <= r.tableBase || b.paddr() >= r.tableBase + IommuRig.TABLES, b.toString());
        }
        assertThrows(DmaUsageException.class, () -> r.memory.reserveRegion(4096, 3000));
        assertThrows(DmaUsageException.class, () -> r.memory.reserveRegion(100, 4096));
    }
}

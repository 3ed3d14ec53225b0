package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;

/**
 * A CPU access to bytes a device owns: the report names the accessed address and the first
 * device-owned byte, also in a list's later segment; one access over several mappings reports
 * each of them once, and a mapping whose pieces it covers twice only once.
 */
class CpuAccessReportTest {
    private static final DmaDirection TO = DmaDirection.TO_DEVICE;

    @Test
    void aWriteIntoALaterSegmentNamesItsAddressAndTheFirstDeviceOwnedByte() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(8192);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(0, 4096), buf.segment(4096, 4096)), TO);
        long at = buf.paddr() + 4096 + 100;
        DmaDebugException e = assertThrows(DmaDebugException.class,
                () -> buf.write(r.cpu, 4096 + 100, new byte[] {1}));
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, e.check());
        assertTrue(e.report().message().contains(String.format(
                "[access=write] [paddr=0x%x] [buffer=%s] [first device-owned byte=0x%x]", at, buf, at)),
                e.report()::message);
        m.unmap(r.cpu);
    }

    @Test
    void oneAccessOverTwoMappingsReportsEach() {
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
        CpuBuffer buf = r.memory.allocate(8192);
        DmaMapping low = r.dev.mapSingle(r.cpu, buf.paddr(), 4096, TO);
        DmaMapping high = r.dev.mapSingle(r.cpu, buf.paddr() + 4096, 4096, TO);
        buf.fill(r.cpu, (byte) 7);
        List<DmaDebugReport> reports = r.dev.debugReports();
        assertEquals(2, reports.size(), reports::toString);
        assertEquals(List.of(low.describe(), high.describe()),
                reports.stream().map(rep -> rep.mapping().orElseThrow()).toList());
        low.unmap(r.cpu);
        high.unmap(r.cpu);
    }

    @Test
    void oneAccessOverBothSegmentsOfAListReportsItOnce() {
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
        CpuBuffer buf = r.memory.allocate(8192);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(0, 4096), buf.segment(4096, 4096)), TO);
        buf.fill(r.cpu, (byte) 7);
        List<DmaDebugReport> reports = r.dev.debugReports();
        assertEquals(1, reports.size(), reports::toString);
        assertEquals(m.describe(), reports.get(0).mapping().orElseThrow());
        assertTrue(reports.get(0).message().contains(String.format(
                "[first device-owned byte=0x%x]", buf.paddr())), reports.get(0)::message);
        m.unmap(r.cpu);
    }

    @Test
    void aFreedBufferSaysSoInItsName() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(100);
        String live = String.format("CpuBuffer[paddr=0x%x size=100]", buf.paddr());
        assertEquals(live, buf.toString());
        r.memory.free(buf);
        assertEquals(String.format("CpuBuffer[paddr=0x%x size=100 freed]", buf.paddr()), buf.toString());
    }
}

package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaStatus;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Coherent allocations through an SMMUv3 domain. */
class IommuCoherentTest {

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void cpuAndDeviceShareTheBufferThroughTheIova(Coherency coherency) {
        IommuRig r = new IommuRig(coherency);
        int pages = r.memory.pagesInUse();
        CoherentBuffer buf = r.dev.allocCoherent(r.cpu, 10000);
        assertTrue(r.dev.pendingMappings().size() == 1);
        assertArrayEquals(new byte[10000], r.deviceRead(buf.dmaAddress(), 10000), "zeroed");
        byte[] fromCpu = Rig.pattern(10000, 1);
        buf.write(r.cpu, 0, fromCpu);
        assertArrayEquals(fromCpu, r.deviceRead(buf.dmaAddress(), 10000), "no sync needed");
        byte[] fromDevice = Rig.pattern(10000, 2);
        r.deviceWrite(buf.dmaAddress(), fromDevice);
        assertArrayEquals(fromDevice, buf.read(r.cpu, 0, 10000));
        assertEquals(1, r.dmaDomain.iovaRangesOutstanding());

        long iova = buf.dmaAddress();
        buf.free();
        assertEquals(DmaStatus.ABORT, r.tryRead(iova));
        assertFalse(r.anyTranslated(iova, 3 * 4096));
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(pages, r.memory.pagesInUse());
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void aMapFailureFreesThePagesAndTheIova() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        IommuDmaDomain dd = IommuDmaDomain.create(r.memory,
                new FailingDomain((GatheringDomain) r.domain, 1));
        DmaDevice dev = DmaDevice.create(r.memory, r.dev.params(), dd);
        int pages = r.memory.pagesInUse();
        assertThrows(IommuMappingException.class, () -> dev.allocCoherent(r.cpu, 4096));
        assertEquals(pages, r.memory.pagesInUse());
        assertEquals(0, dd.iovaRangesOutstanding());
        assertTrue(dev.pendingMappings().isEmpty());
    }

    @Test
    void aLeakedAllocationIsReportedAtDetach() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        CoherentBuffer buf = r.dev.allocCoherent(r.cpu, 4096);
        DmaLeakException e = assertThrows(DmaLeakException.class, r.dev::detach);
        assertTrue(e.getMessage().contains(String.format("0x%x", buf.dmaAddress())), e.getMessage());
        buf.free();
    }
}

package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;

/**
 * A device's {@code min_align_mask} ({@code dma_set_min_align_mask}, NVMe's {@code 0xFFF}): the
 * parameter's checks; on the direct path a bounce buffer keeps the original address's bits
 * under the mask (swiotlb) and the largest bounce buffer shrinks; over an IOMMU a mask wider
 * than the granule's offset bits refuses every single mapping ({@code __iommu_dma_map}).
 */
class MinAlignMaskTest {
    private static final long MASK_16M = DeviceParams.bitMask(24);
    private static final long HIGH = 32L << 20;
    private static final long NVME = 0xFFF;

    private final Rig r = new Rig(Coherency.NON_COHERENT, MASK_16M);
    private final DmaPort nvmePort = r.machine.attach(2, Coherency.NON_COHERENT);
    private final DmaDevice nvme = DmaDevice.create(r.memory,
            DeviceParams.of(nvmePort).withDmaMask(MASK_16M).withMinAlignMask(NVME));

    @Test
    void theMaskIsNoneByDefaultAndMustBeTwoToTheNMinusOneOfAtMost16Bits() {
        assertEquals(0, r.dev.params().minAlignMask());
        assertEquals(0, new DeviceParams(1, false, -1L, 4096, -1L, FlushMode.STRICT, false,
                DebugMode.THROW).minAlignMask());
        assertEquals(NVME, nvme.params().minAlignMask());
        assertEquals(0xFFFF, r.dev.params().withMinAlignMask(0xFFFF).minAlignMask());
        assertEquals(1, r.dev.params().withMinAlignMask(1).minAlignMask());
        for (long bad : new long[] {0x1000, 0x1_FFFF, -1, 0xFFE}) {
            DmaUsageException e = assertThrows(DmaUsageException.class,
                    () -> r.dev.params().withMinAlignMask(bad));
            assertTrue(e.getMessage().contains(String.format(
                    "minAlignMask=0x%x must be 2^n - 1 with n from 0 to 16", bad)), e::getMessage);
        }
        assertEquals(256 * 1024, r.dev.maxBounceSize());
        assertEquals(252 * 1024, nvme.maxBounceSize(), "less the mask rounded up to a slot");
    }

    @Test
    void aBounceBufferKeepsTheLow12BitsAndTheDataGoesBothWays() {
        CpuBuffer high = r.memory.allocateAbove(HIGH, 8192);
        byte[] data = Rig.pattern(0x300, 7);
        high.write(r.cpu, 0xFA0, data);
        long orig = high.paddr() + 0xFA0;
        DmaMapping m = nvme.mapSingle(r.cpu, orig, data.length, DmaDirection.TO_DEVICE);
        assertTrue(m.isBounced() && m.dmaAddress() < Rig.POOL, "bounced below the mask");
        assertEquals(0xFA0, m.dmaAddress() & NVME, "swiotlb keeps orig_addr & min_align_mask");
        byte[] seen = new byte[data.length];
        assertEquals(DmaStatus.OK, nvmePort.read(m.dmaAddress(), seen, 0, seen.length));
        assertArrayEquals(data, seen);
        // 0x7A0 into an odd slot, 0x300 bytes: two slots
        assertEquals(2, r.memory.bounceSlotsInUse());
        m.unmap(r.cpu);
        assertEquals(0, r.memory.bounceSlotsInUse(), "the release finds the first slot again");

        DmaMapping in = nvme.mapSingle(r.cpu, orig, data.length, DmaDirection.FROM_DEVICE);
        assertEquals(0xFA0, in.dmaAddress() & NVME);
        byte[] written = Rig.pattern(data.length, 9);
        assertEquals(DmaStatus.OK, nvmePort.write(in.dmaAddress(), written, 0, written.length));
        in.unmap(r.cpu);
        assertArrayEquals(written, high.read(r.cpu, 0xFA0, written.length), "copied back to orig");
        assertEquals(0, r.memory.bounceSlotsInUse());

        // a device without the mask gets the slot's start
        DmaMapping plain = r.dev.mapSingle(r.cpu, orig, data.length, DmaDirection.TO_DEVICE);
        assertEquals(0, plain.dmaAddress() & 0x7FF);
        plain.unmap(r.cpu);
    }

    @Test
    void aBufferAboveTheShrunkLargestBounceIsRefusedNamingTheMask() {
        CpuBuffer big = r.memory.allocateAbove(HIGH, 256 * 1024);
        long largest = nvme.maxBounceSize();
        DmaMapping m = nvme.mapSingle(r.cpu, big.paddr() + 0xFFF, largest - 0xFFF, DmaDirection.TO_DEVICE);
        assertEquals(0xFFF, m.dmaAddress() & NVME);
        m.unmap(r.cpu);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> nvme.mapSingle(r.cpu, big.paddr(), largest + 1, DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().contains("exceeds the largest bounce buffer=" + largest
                + " (minAlignMask=0xfff)"), e::getMessage);
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertTrue(nvme.pendingMappings().isEmpty());
    }

    @Test
    void overAnIommuAMaskWiderThanTheGranuleRefusesSingleMappingsNotLists() {
        IommuRig w = new IommuRig(Coherency.NON_COHERENT, p -> p.withMinAlignMask(0x3FFF));
        CpuBuffer buf = w.memory.allocate(8192);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> w.dev.mapSingle(w.cpu, buf, DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().startsWith("Unsupported alignment constraint: minAlignMask=0x3fff"
                + " is wider than the IOVA granule's offset mask 0xfff"), e::getMessage);
        assertEquals(0, w.dmaDomain.iovaRangesOutstanding());
        assertTrue(w.dev.pendingMappings().isEmpty());
        // iommu_dma_map_sg does not go through __iommu_dma_map
        DmaMapping sg = w.dev.mapSg(w.cpu, ScatterList.of(buf.segment()), DmaDirection.TO_DEVICE);
        assertEquals(1, sg.dmaCount());
        sg.unmap(w.cpu);
        assertEquals(0, w.dev.debugReportCount());
    }

    @Test
    void overAnIommuAnUntrustedDevicesListIsRefusedToo() {
        IommuRig w = new IommuRig(Coherency.NON_COHERENT,
                p -> p.withUntrusted(true).withMinAlignMask(0x1FFF));
        CpuBuffer buf = w.memory.allocate(8192);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> w.dev.mapSg(w.cpu, ScatterList.of(buf.segment(0x10, 0x100)), DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().startsWith("Unsupported alignment constraint"), e::getMessage);
        assertEquals(0, w.memory.bounceSlotsInUse());
        assertEquals(0, w.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void overAnIommuAMaskWithinTheGranuleIsKeptBouncedOrNot() {
        IommuRig w = new IommuRig(Coherency.NON_COHERENT, p -> p.withUntrusted(true).withMinAlignMask(NVME));
        CpuBuffer buf = w.memory.allocate(8192);
        DmaMapping bounced = w.dev.mapSingle(w.cpu, buf.paddr() + 0xFA0, 0x300, DmaDirection.TO_DEVICE);
        assertTrue(bounced.isBounced());
        assertEquals(0xFA0, bounced.dmaAddress() & NVME);
        bounced.unmap(w.cpu);
        DmaMapping whole = w.dev.mapSingle(w.cpu, buf, DmaDirection.TO_DEVICE);
        assertEquals(buf.paddr() & NVME, whole.dmaAddress() & NVME);
        whole.unmap(w.cpu);
        assertEquals(0, w.memory.bounceSlotsInUse());
        assertEquals(0, w.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void overAnIommuABounceBufferKeepsOnlyTheBitsUnderTheMask() {
        IommuRig w = new IommuRig(Coherency.NON_COHERENT, p -> p.withUntrusted(true).withMinAlignMask(0x1FF));
        CpuBuffer buf = w.memory.allocate(4096);
        byte[] data = Rig.pattern(0x100, 3);
        buf.write(w.cpu, 0x3A0, data);
        DmaMapping m = w.dev.mapSingle(w.cpu, buf.paddr() + 0x3A0, data.length, DmaDirection.TO_DEVICE);
        assertTrue(m.isBounced());
        // swiotlb_align_offset: 0x3a0 & 0x1ff, in a granule-aligned run of slots
        assertEquals(0x1A0, m.dmaAddress() & 0xFFF);
        byte[] granule = new byte[4096];
        assertEquals(DmaStatus.OK, w.port.read(m.dmaAddress() & -4096L, granule, 0, granule.length));
        byte[] want = new byte[4096];
        System.arraycopy(data, 0, want, 0x1A0, data.length);
        assertArrayEquals(want, granule, "the buffer at the kept offset, zeros around it");
        m.unmap(w.cpu);
        assertEquals(0, w.memory.bounceSlotsInUse());
    }
}

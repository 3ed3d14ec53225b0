package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;
import org.junit.jupiter.api.Test;

/**
 * An untrusted device over an IOMMU on a machine without a bounce pool (swiotlb inactive,
 * reference §2.10): a buffer that does not fill whole granules cannot be mapped, for good, so
 * the failure is no exhaustion (which promises that a later call may succeed); whole granules
 * are mapped as ever.
 */
class IommuUntrustedNoPoolTest {
    private final Machine machine = Machine.create(MachineConfig.of(64L << 20));
    private final PageAllocator memory = PageAllocator.create(machine, 0);
    private final Cpu cpu = machine.cpu(0);
    private final Smmu smmu = machine.addSmmu(SmmuConfig.gem5());
    private final long tableBase = memory.reserveRegion(4L << 20, TableMemory.MAX_BLOCK);
    private final SmmuV3 driver = SmmuV3.probe(smmu, cpu, TableMemory.of(machine, tableBase, 4L << 20));
    private final IommuDomain domain = driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX,
            4096, 48);
    private final IommuDmaDomain dmaDomain;
    private final DmaDevice dev;

    IommuUntrustedNoPoolTest() {
        driver.attach(domain, 5);
        dmaDomain = IommuDmaDomain.create(memory, domain);
        dev = DmaDevice.create(memory, DeviceParams.of(machine.attach(5, Coherency.NON_COHERENT, smmu))
                .withUntrusted(true), dmaDomain);
    }

    @Test
    void anUnalignedBufferIsRefusedAsInactiveBouncingNotAsAFullPool() {
        CpuBuffer page = memory.allocate(8192);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> dev.mapSingle(cpu, page.paddr() + 0x100, 0x200, DmaDirection.TO_DEVICE));
        assertFalse(e instanceof BouncePoolExhaustedException, e::toString);
        assertTrue(e.getMessage().contains("DMA bounce buffers are inactive"), e::getMessage);
        assertEquals(DmaDevice.DMA_MAPPING_ERROR,
                dev.mapPage(cpu, page.paddr(), 100, DmaDirection.FROM_DEVICE));
        // a list whose second segment needs bouncing undoes its first, whole-granule one
        DmaMappingException list = assertThrows(DmaMappingException.class, () -> dev.mapSg(cpu,
                ScatterList.of(page.segment(0, 4096), page.segment(4096, 16)), DmaDirection.TO_DEVICE));
        assertFalse(list instanceof BouncePoolExhaustedException, list::toString);
        assertEquals(0, dmaDomain.iovaRangesOutstanding());
        assertEquals(0, dev.pendingMappings().size());

        DmaMapping whole = dev.mapSingle(cpu, page.paddr(), 8192, DmaDirection.TO_DEVICE);
        assertFalse(whole.isBounced(), "whole granules need no bounce buffer");
        whole.unmap(cpu);
        assertEquals(0, dmaDomain.iovaRangesOutstanding());
    }
}

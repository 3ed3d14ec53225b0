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
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;
import org.junit.jupiter.api.Test;

/**
 * A request no free state of the bounce pool can serve (larger than a small pool, or no run of
 * slots under the DMA mask) is refused as such, not as a full pool: {@link
 * BouncePoolExhaustedException} promises that a later mapping may succeed once others are
 * unmapped, and a driver that waits for that would wait for ever.
 */
class BouncePoolTooSmallTest {
    // 64 KiB of slots: room for 32 KiB bounce buffers, never for 128 KiB ones
    private static final long POOL = 64 * 1024;
    private static final long MASK_16M = DeviceParams.bitMask(24);

    private final Machine machine = Machine.create(MachineConfig.of(64L << 20));
    private final PageAllocator memory = PageAllocator.create(machine, POOL);
    private final Cpu cpu = machine.cpu(0);

    @Test
    void aDirectBufferLargerThanThePoolIsNoExhaustionAndOneThatFitsIsBounced() {
        DmaDevice dev = DmaDevice.create(memory,
                DeviceParams.of(machine.attach(1, Coherency.NON_COHERENT)).withDmaMask(MASK_16M));
        CpuBuffer high = memory.allocateAbove(MASK_16M + 1, 128 * 1024);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> dev.mapSingle(cpu, high, DmaDirection.TO_DEVICE));
        assertFalse(e instanceof BouncePoolExhaustedException, e::toString);
        assertTrue(e.getMessage().contains("has no run of slots for it below the mask even when empty"),
                e::getMessage);
        assertEquals(0, memory.bounceSlotsInUse());
        assertTrue(dev.pendingMappings().isEmpty());
        DmaMapping fits = dev.mapSingle(cpu, high.paddr(), 32 * 1024, DmaDirection.TO_DEVICE);
        assertTrue(fits.isBounced());
        // now the pool is half used: a second 32 KiB buffer still fits, a third is exhaustion
        DmaMapping second = dev.mapSingle(cpu, high.paddr() + 32 * 1024, 32 * 1024, DmaDirection.TO_DEVICE);
        assertThrows(BouncePoolExhaustedException.class,
                () -> dev.mapSingle(cpu, high.paddr() + 64 * 1024, 32 * 1024, DmaDirection.TO_DEVICE));
        fits.unmap(cpu);
        second.unmap(cpu);
        assertEquals(0, memory.bounceSlotsInUse());
    }

    @Test
    void aDirectBufferWithNoSlotsUnderItsMaskIsNoExhaustion() {
        // 12 bits: the pool's first 4 KiB are all a 4 KiB mask reaches
        DmaDevice dev = DmaDevice.create(memory, DeviceParams.of(machine.attach(1, Coherency.COHERENT))
                .withDmaMask(DeviceParams.bitMask(12)));
        CpuBuffer buf = memory.allocate(8192);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> dev.mapSingle(cpu, buf, DmaDirection.FROM_DEVICE));
        assertFalse(e instanceof BouncePoolExhaustedException, e::toString);
        DmaMapping page = dev.mapSingle(cpu, buf.paddr(), 4096, DmaDirection.FROM_DEVICE);
        assertEquals(0, page.dmaAddress(), "bounced into the pool's first page");
        page.unmap(cpu);
        assertEquals(0, memory.bounceSlotsInUse());
    }

    @Test
    void anUntrustedBufferSpanningMoreThanThePoolIsNoExhaustion() {
        Smmu smmu = machine.addSmmu(SmmuConfig.gem5());
        long tables = memory.reserveRegion(4L << 20, TableMemory.MAX_BLOCK);
        SmmuV3 driver = SmmuV3.probe(smmu, cpu, TableMemory.of(machine, tables, 4L << 20));
        IommuDomain domain = driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, 4096, 48);
        driver.attach(domain, 5);
        IommuDmaDomain dmaDomain = IommuDmaDomain.create(memory, domain);
        DmaDevice dev = DmaDevice.create(memory, DeviceParams.of(machine.attach(5, Coherency.NON_COHERENT, smmu))
                .withUntrusted(true), dmaDomain);
        CpuBuffer buf = memory.allocate(128 * 1024);
        // 8 bytes in: 100 KiB span 26 granules, 104 KiB of bounce buffer
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> dev.mapSingle(cpu, buf.paddr() + 8, 100 * 1024, DmaDirection.TO_DEVICE));
        assertFalse(e instanceof BouncePoolExhaustedException, e::toString);
        assertTrue(e.getMessage().contains("more than the bounce pool (size=65536) holds"), e::getMessage);
        assertEquals(0, dmaDomain.iovaRangesOutstanding());
        assertEquals(0, memory.bounceSlotsInUse());
        // 16 granules exactly: the whole pool
        DmaMapping whole = dev.mapSingle(cpu, buf.paddr() + 8, 64 * 1024 - 16, DmaDirection.TO_DEVICE);
        assertTrue(whole.isBounced());
        assertThrows(BouncePoolExhaustedException.class,
                () -> dev.mapSingle(cpu, buf.paddr() + 8, 100, DmaDirection.TO_DEVICE));
        whole.unmap(cpu);
        assertEquals(0, dmaDomain.iovaRangesOutstanding());
        assertEquals(0, memory.bounceSlotsInUse());
    }
}

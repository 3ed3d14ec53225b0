package org.dmalib.rogue;

import org.dmalib.arch.coherency.internal.cache.DcacheMaintenance;
import org.dmalib.dma.ops.internal.rogue.PlantedPrimitive;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.cache.CacheMaintenance;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.internal.CoherenceFabric;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.IommuDomains;

/**
 * A deliberately rogue "driver": it compiles only because this test module runs on the class
 * path, where qualified exports mean nothing. It reaches every privileged package, so the rules
 * must name it. Never run, only imported by ArchUnit.
 */
public final class RogueDriver {
    private RogueDriver() {}

    /**
     * Cleans a line behind the DMA API's back, the way a driver must not.
     *
     * @return the fabric it had no business seeing
     */
    public static CoherenceFabric cleanBehindTheDmaApisBack() {
        Cpu cpu = Machine.create(MachineConfig.of(1 << 20)).cpu(0);
        CacheMaintenance.of(cpu).cleanLine(0);
        DcacheMaintenance.on(cpu).cleanPoc(0, 64);
        PlantedPrimitive.touch();
        return null;
    }

    /**
     * Reads an SMMU register itself, the way a driver must not.
     *
     * @return IDR0
     */
    public static int programTheSmmuBehindTheDriversBack() {
        Machine machine = Machine.create(MachineConfig.of(1 << 20));
        return SmmuProgramming.of(machine.addSmmu(SmmuConfig.gem5())).readRegister(0);
    }

    /**
     * Gathers a TLB invalidation itself and names the IOMMU driver SPI, the way a driver must not.
     *
     * @return whether the gather is empty, which it is not
     */
    public static boolean gatherBehindTheIommusBack() {
        IotlbGather gather = new IotlbGather();
        gather.addRange(0x1000, 0x1000);
        return gather.isEmpty() && IommuDomains.class.isInterface();
    }
}

package org.dmalib.dma.ops;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * A machine with one SMMU (gem5 preset) driven by the SMMUv3 driver, whose tables live in a
 * region the page allocator reserved, and one device behind a DMA domain: 256 MiB, 2 CPUs, a
 * 1 MiB bounce pool, 4 KiB granule, 48-bit IOVA.
 */
final class IommuRig {
    static final int SID = 3;
    static final long TABLES = 16L << 20;

    final Machine machine = Machine.create(MachineConfig.of(256L << 20));
    final PageAllocator memory = PageAllocator.create(machine, Rig.POOL);
    final Cpu cpu = machine.cpu(0);
    final Smmu smmu = machine.addSmmu(SmmuConfig.gem5());
    final long tableBase = memory.reserveRegion(TABLES, TableMemory.MAX_BLOCK);
    final TableMemory tables = TableMemory.of(machine, tableBase, TABLES);
    final SmmuV3 driver = SmmuV3.probe(smmu, cpu, tables);
    final IommuDomain domain;
    final IommuDmaDomain dmaDomain;
    final DmaPort port;
    final DmaDevice dev;

    IommuRig(Coherency coherency) {
        this(coherency, DeviceParams.DEFAULT_DMA_MASK);
    }

    IommuRig(Coherency coherency, long dmaMask) {
        this(coherency, p -> p.withDmaMask(dmaMask));
    }

    IommuRig(Coherency coherency, java.util.function.UnaryOperator<DeviceParams> tune) {
        this(coherency, tune, System::nanoTime);
    }

    IommuRig(Coherency coherency, java.util.function.UnaryOperator<DeviceParams> tune,
            java.util.function.LongSupplier clock) {
        this(coherency, 4096, tune, clock);
    }

    /** A rig whose domain has the IOVA granule {@code granule} (4, 16 or 64 KiB). */
    IommuRig(Coherency coherency, int granule) {
        this(coherency, granule, p -> p, System::nanoTime);
    }

    private IommuRig(Coherency coherency, int granule,
            java.util.function.UnaryOperator<DeviceParams> tune,
            java.util.function.LongSupplier clock) {
        domain = driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, granule, 48);
        driver.attach(domain, SID);
        dmaDomain = IommuDmaDomain.create(memory, domain, clock);
        port = machine.attach(SID, coherency, smmu);
        dev = DmaDevice.create(memory, tune.apply(DeviceParams.of(port)), dmaDomain);
    }

    SmmuDriverCounters driverCounters() {
        return driver.counters();
    }

    byte[] deviceRead(long iova, int size) {
        byte[] out = new byte[size];
        DmaStatus st = port.read(iova, out, 0, size);
        if (!st.ok()) {
            throw new AssertionError(String.format("device read aborted at iova=0x%x", iova));
        }
        return out;
    }

    void deviceWrite(long iova, byte[] data) {
        DmaStatus st = port.write(iova, data, 0, data.length);
        if (!st.ok()) {
            throw new AssertionError(String.format("device write aborted at iova=0x%x", iova));
        }
    }

    DmaStatus tryRead(long iova) {
        return port.read(iova, new byte[1], 0, 1);
    }

    DmaStatus tryWrite(long iova) {
        return port.write(iova, new byte[1], 0, 1);
    }

    byte[] ram(long paddr, int size) {
        byte[] out = new byte[size];
        machine.memory().read(paddr, out, 0, size);
        return out;
    }

    /** Whether any granule of {@code [iova, iova + size)} still translates in the page tables. */
    boolean anyTranslated(long iova, long size) {
        for (long a = iova & -4096L; a < iova + size; a += 4096) {
            if (domain.iovaToPhys(a).isPresent()) {
                return true;
            }
        }
        return false;
    }
}

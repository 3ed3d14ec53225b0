package org.dmalib.bench;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * A sparse 64 GiB machine with one SMMU probed by the driver, page tables in
 * {@code [16 MiB, 16 MiB + 64 MiB)} (enough for a fully mapped 16 GiB 4K domain: 32 MiB of last-level
 * tables), and one stream. Only touched frames cost heap.
 */
final class BenchRig {
    static final long KIB = 1L << 10;
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final int GRANULE = 4096;
    static final int IAS = 48;
    // any stream ID the SMMU's stream table covers; one device, so one stream
    static final int STREAM = 1;
    /** Where mapped data "lives": never touched by teardown or map benchmarks, so it costs no heap. */
    static final long DATA = 32 * GIB;
    static final long TABLES = 16 * MIB;
    static final long TABLES_SIZE = 64 * MIB;
    static final long MEMORY = 64 * GIB;

    final Machine machine = Machine.create(MachineConfig.of(MEMORY));
    final Smmu smmu;
    final TableMemory tables = TableMemory.of(machine, TABLES, TABLES_SIZE);
    final SmmuV3 driver;

    BenchRig(SmmuConfig config) {
        smmu = machine.addSmmu(config);
        driver = SmmuV3.probe(smmu, machine.cpu(0), tables);
    }

    /** Allocates a 4K-granule, 48-bit domain planning by {@code strategy}, attached to the stream. */
    IommuDomain attachedDomain(InvalidationStrategy strategy) {
        IommuDomain d = driver.allocateDomain(DomainType.UNMANAGED, strategy, GRANULE, IAS);
        driver.attach(d, STREAM);
        return d;
    }

    DmaPort port() {
        return machine.attach(STREAM, Coherency.COHERENT, smmu);
    }

    /**
     * Maps {@code [0, size)} as 4K pages only: the physical address is 4K past a 2M boundary, so
     * iommu_pgsize can never pick a block and every last-level entry is a page.
     */
    static void mapAll4k(IommuDomain domain, long size) {
        domain.map(0, DATA + GRANULE, size, IommuProt.READ_WRITE);
    }

    /** VFIO's teardown: unmap the whole range (largest sizes alignment allows), sync, detach, free. */
    void teardown(IommuDomain domain, long size) {
        long unmapped = domain.unmap(0, size);
        if (unmapped != size) {
            throw new IllegalStateException("unmapped " + unmapped + " of " + size);
        }
        driver.detach(STREAM);
        driver.freeDomain(domain);
    }
}

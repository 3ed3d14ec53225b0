package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.junit.jupiter.params.provider.Arguments;

/** A machine with one SMMU, probed by the driver; tables in [16 MiB, 48 MiB). */
final class Rig {
    /** Every strategy, each on an SMMU with and without range invalidation (strategy, ril). */
    static Stream<Arguments> strategiesWithAndWithoutRil() {
        List<Arguments> out = new ArrayList<>();
        for (InvalidationStrategy s : InvalidationStrategy.values()) {
            out.add(Arguments.of(s, true));
            out.add(Arguments.of(s, false));
        }
        return out.stream();
    }

    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final long TABLES = 16 * MIB;
    static final long DATA = 256 * MIB;
    /** The page tables the tests run on. */
    static final PageTableFactory PAGE_TABLES = PageTableAdapter::allocate;

    final Machine machine = Machine.create(MachineConfig.of(4 * GIB));
    final Smmu smmu;
    final TableMemory tables = TableMemory.of(machine, TABLES, 32 * MIB);
    final SmmuV3 driver;

    Rig(SmmuConfig config) {
        this(config, PAGE_TABLES);
    }

    Rig(SmmuConfig config, PageTableFactory pageTables) {
        smmu = machine.addSmmu(config);
        driver = SmmuV3.probe(smmu, machine.cpu(0), tables, pageTables);
    }

    IommuDomain domain(InvalidationStrategy strategy, int granule) {
        return driver.allocateDomain(DomainType.UNMANAGED, strategy, granule, 48);
    }

    DmaPort port(int sid) {
        return machine.attach(sid, Coherency.NON_COHERENT, smmu);
    }

    static DmaStatus read(DmaPort port, long iova) {
        return port.read(iova, new byte[1], 0, 1);
    }

    static void assertReads(DmaPort port, long iova, long size, long step, DmaStatus want) {
        for (long a = iova; a < iova + size; a += step) {
            assertEquals(want, read(port, a), String.format("read at iova=0x%x", a));
        }
    }
}

package org.dmalib.iommu.smmu.internal.pgtable;

import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * A machine for page-table tests: 4 GiB of sparse RAM (so 1 GiB blocks have room), four CPUs,
 * tables from {@code [TABLES, TABLES + 16 MiB)}, and a recording flush-ops double.
 */
final class Rig {
    static final long KIB = 1L << 10;
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    /** The table region: 16 MiB at 16 MiB, below every data address the tests map. */
    static final long TABLES = 16 * MIB;
    static final long TABLES_SIZE = 16 * MIB;

    final Machine machine = Machine.create(new MachineConfig(4 * GIB, 4, CacheGeometry.DEFAULT));
    final Cpu cpu = machine.cpu(0);
    final TableMemory memory = TableMemory.of(machine, TABLES, TABLES_SIZE);

    /** Returns a flush-ops double for tables of {@code granule}. */
    RecordingFlushOps flushOps(long granule) {
        return new RecordingFlushOps(memory, granule);
    }

    /** Returns a new table of {@code config} written by CPU 0. */
    ArmLpaePageTable table(LpaeConfig config, RecordingFlushOps ops) {
        return ArmLpaePageTable.allocate(config, cpu, memory, ops);
    }

    /** Returns how many cache-line accesses (hits and misses) {@code r} makes on the machine. */
    long lineAccesses(Runnable r) {
        HwCounters before = machine.counters();
        r.run();
        HwCounters d = machine.counters().minus(before);
        return d.cacheHits() + d.cacheMisses();
    }

    static LpaeConfig config(int granule, int ias, boolean coherent) {
        return new LpaeConfig(granule, ias, 48, coherent);
    }
}

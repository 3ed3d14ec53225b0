package org.dmalib.cli;

import java.util.List;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.smmu.SmmuCostModel;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * One domain teardown on a throw-away machine, as VFIO tears down a guest's memory: a domain of
 * {@code size} bytes mapped as granule-sized leaves (the physical address is one granule off the
 * IOVA's block alignment, so no block fits), then {@code unmap(0, size)} and
 * {@code freeDomain}. The driver's command counts are read around the teardown only.
 *
 * <p>Wall times are of this JVM, after a {@linkplain #warmUp warm-up}; they show orders of
 * magnitude, not a benchmark (for that, see the {@code benchmarks} module).
 *
 * <p>Memory: the mapping reuses one {@link #CHUNK} of physical data for every chunk of IOVA, so
 * the machine's RAM is the page tables, then 64 MiB of data from the next GiB up; the sparse RAM
 * holds only the tables' frames, 8 bytes per mapped page (one PTE), and the model adds its own
 * overhead: measured on JDK 17, 64 GiB at 4 KiB took 0.9 GB of resident memory with
 * {@code linux} and 1.7 GB with {@code per-page} (its 16.8 million commands), 16 to 19 s each.
 *
 * <p>Stateless; thread-safe (every run builds its own machine).
 */
final class Teardown {
    /** IOVA mapped per {@code map} call; every chunk maps the same physical memory. */
    static final long CHUNK = 64L << 20;
    /** The largest size a run accepts: 64 GiB. */
    static final long MAX_SIZE = 64L << 30;
    /** The size of the untimed runs of {@link #warmUp}: 8 MiB, a multiple of every granule. */
    static final long WARM_UP_SIZE = 8L << 20;
    /**
     * How many untimed runs {@link #warmUp} makes per strategy: the JIT compiles a method after
     * about 10,000 invocations or loop iterations, and 20 runs give the per-page plan 40,960
     * commands, the fast strategies' per-teardown code 20 runs of its loops.
     */
    static final int WARM_UP_RUNS = 20;
    /** Input address bits of the domain. */
    static final int IAS = 48;

    private static final int SID = 7;
    private static final long TABLES_BASE = 16L << 20;
    private static final long TABLE_SLACK = 4L << 20;
    private static final long BLOCK = TableMemory.MAX_BLOCK;
    private static final long GIB = 1L << 30;
    private static final int PTE_BYTES = 8;

    private Teardown() {}

    /**
     * What one teardown cost.
     *
     * @param strategy the domain's strategy
     * @param ril whether the SMMU had range invalidation
     * @param tlbiCommands TLBI commands submitted ({@code TLBI_NH_VA}, {@code _ASID}, {@code _ALL})
     * @param asidInvalidations of those, {@code TLBI_NH_ASID} commands
     * @param syncCommands {@code CMD_SYNC}s submitted
     * @param modelledNanos the commands and syncs priced by {@link SmmuCostModel#gem5()} (the
     *     teardown leaves nothing mapped, so no refill is counted)
     * @param wallNanos wall time of {@code unmap} plus {@code freeDomain} on this JVM
     * @param mapNanos wall time of mapping the domain, for information
     */
    record Result(InvalidationStrategy strategy, boolean ril, long tlbiCommands,
            long asidInvalidations, long syncCommands, long modelledNanos, long wallNanos,
            long mapNanos) {
        /** Returns this result as one JSON object with the fields of {@code dmalib teardown}. */
        String json() {
            return "{\"strategy\":\"" + Args.name(strategy) + "\",\"tlbiCommands\":"
                    + tlbiCommands + ",\"syncCommands\":" + syncCommands
                    + ",\"asidInvalidations\":" + asidInvalidations + ",\"modelledNanos\":"
                    + modelledNanos + ",\"wallNanos\":" + wallNanos + "}";
        }
    }

    /**
     * Maps and tears down one domain.
     *
     * @param strategy the domain's strategy
     * @param ril whether the SMMU advertises range invalidation
     * @param granule 4, 16 or 64 KiB
     * @param size bytes: a positive multiple of {@code granule}, at most {@link #MAX_SIZE}
     * @param progress drawn while mapping (label names the strategy); null for none
     * @return the counts
     * @throws IllegalStateException if the domain did not unmap all of {@code size}
     */
    static Result run(InvalidationStrategy strategy, boolean ril, int granule, long size,
            Progress progress) {
        long tables = tableBytes(size, granule);
        long data = roundUp(TABLES_BASE + tables, GIB);
        long chunk = Math.min(CHUNK, size);
        Machine machine = Machine.create(MachineConfig.of(roundUp(data + chunk + 2L * granule,
                BLOCK)));
        Smmu smmu = machine.addSmmu(SmmuConfig.gem5().withRangeInvalidation(ril));
        SmmuV3 driver = SmmuV3.probe(smmu, machine.cpu(0),
                TableMemory.of(machine, TABLES_BASE, tables));
        IommuDomain domain = driver.allocateDomain(DomainType.UNMANAGED, strategy, granule, IAS);
        driver.attach(domain, SID);
        String label = "map " + Args.human(size) + " for " + Args.name(strategy)
                + (ril ? " (RIL)" : " (no RIL)");
        long t0 = System.nanoTime();
        for (long at = 0; at < size; at += chunk) {
            domain.map(at, data + granule, Math.min(chunk, size - at), IommuProt.READ_WRITE);
            if (progress != null) {
                progress.update(label, Math.min(at + chunk, size), size);
            }
        }
        long mapNanos = System.nanoTime() - t0;

        SmmuDriverCounters c0 = driver.counters();
        long t1 = System.nanoTime();
        long unmapped = domain.unmap(0, size);
        long unmapNanos = System.nanoTime() - t1;
        SmmuDriverCounters unmap = driver.counters().minus(c0);
        driver.detach(SID);
        SmmuDriverCounters c1 = driver.counters();
        long t2 = System.nanoTime();
        driver.freeDomain(domain);
        long freeNanos = System.nanoTime() - t2;
        SmmuDriverCounters free = driver.counters().minus(c1);
        if (unmapped != size) {
            throw new IllegalStateException(String.format(
                    "unmap(0, 0x%x) unmapped only 0x%x bytes", size, unmapped));
        }
        long asid = unmap.tlbiNhAsid() + free.tlbiNhAsid();
        long tlbi = unmap.tlbiNhVa() + free.tlbiNhVa() + asid + unmap.tlbiNhAll()
                + free.tlbiNhAll();
        long syncs = unmap.cmdSyncs() + free.cmdSyncs();
        long modelled = Math.round(SmmuCostModel.gem5().nanos(tlbi, syncs, 0, 0));
        return new Result(strategy, ril, tlbi, asid, syncs, modelled, unmapNanos + freeNanos,
                mapNanos);
    }

    /**
     * Runs {@link #WARM_UP_RUNS} small teardowns ({@link #WARM_UP_SIZE}) under each strategy and
     * discards the results, so that no strategy is measured while the JIT is still compiling its
     * map, unmap and invalidation paths.
     *
     * @param strategies the strategies about to be measured
     * @param ril as they will run
     * @param granule as they will run
     */
    static void warmUp(List<InvalidationStrategy> strategies, boolean ril, int granule) {
        for (InvalidationStrategy s : strategies) {
            for (int i = 0; i < WARM_UP_RUNS; i++) {
                run(s, ril, granule, WARM_UP_SIZE, null);
            }
        }
    }

    /**
     * Returns the table memory a domain of {@code size} bytes of leaves needs: its leaf tables
     * (8 bytes per page), the tables above them, and 4 MiB for the stream table, the queues and
     * the top levels.
     */
    static long tableBytes(long size, int granule) {
        long leafTableBytes = size / granule * PTE_BYTES;
        long upper = leafTableBytes / (granule / PTE_BYTES) * 2;
        return roundUp(leafTableBytes + upper + TABLE_SLACK, BLOCK);
    }

    private static long roundUp(long n, long to) {
        return (n + to - 1) / to * to;
    }
}

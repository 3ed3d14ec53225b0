package org.dmalib.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.smmu.internal.pgtable.ArmLpaePageTable;
import org.dmalib.iommu.smmu.internal.pgtable.LpaeConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 5 item 2: mapping 1 GiB into an empty domain, as 4K pages or as 2M blocks, against the
 * model's physical limit: a raw loop storing the same PTE values, through the same primitive the
 * page table uses (one {@link Cpu#store} per table's run of leaves, through the CPU's write-back
 * cache), into tables allocated beforehand, with no walking, no checks and no allocation. The SMMU walks coherently
 * (gem5 default), so neither side cleans cache lines.
 *
 * <p>Single-shot: each invocation maps into a fresh domain (allocated, and the previous one freed,
 * outside the timed region); the raw loop rewrites its tables. Before the single shots each fork
 * runs both sides on small work until the JIT has compiled them (see {@link #machine}): a 2M map
 * is only 512 entries, so twenty warm-up shots would leave its per-call code interpreted.
 *
 * <p>Thread-safety: JMH runs each benchmark method on one thread, with {@code Scope.Thread} state
 * of its own; not for concurrent use otherwise.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 20)
@Measurement(iterations = 20)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g"})
@State(Scope.Thread)
public class MapBenchmark {
    /** For JMH, which instantiates the benchmark class. */
    public MapBenchmark() {
        // nothing: JMH needs a public no-argument constructor
    }

    /** Leaf size: 4K pages (262144 PTEs in 512 tables) or 2M blocks (512 PTEs in one table). */
    @Param({"4K", "2M"})
    public String leaf;

    // C2 compiles a method after about 10,000 invocations or loop back-edges
    private static final int WARM_CALLS = 20_000;
    // the warm-up costs at most this per fork
    private static final long WARM_MILLIS = 3000;
    // leaves per warm-up map: one full leaf table, the run the measured map repeats (for 2M
    // blocks the whole measured map), so the JIT compiles the loops for the length they run
    private static final int WARM_LEAVES = 512;

    private static final long SIZE = BenchRig.GIB;
    /** Where the 1 GiB is mapped: 1 GiB-aligned. */
    private static final long IOVA = BenchRig.GIB;
    /** Linux arm_lpae_prot_to_pte(IOMMU_READ | IOMMU_WRITE), stage 1: nG, AF, SH=OS, AP[1]. */
    static final long ATTRS_RW = (1L << 11) | (1L << 10) | (0b10L << 8) | (1L << 6);
    private static final long TYPE_PAGE = 0b11;
    private static final long TYPE_BLOCK = 0b01;

    private BenchRig rig;
    private Cpu cpu;
    private long pgsize;
    /**
     * The output address: {@code pgsize} past a 1 GiB boundary, so iommu_pgsize picks exactly
     * {@code pgsize} for every page (never a bigger block).
     */
    private long paddr;
    private IommuDomain domain;
    /** Raw loop: physical address of each preallocated leaf table. */
    private long[] leafTables;
    private long leafType;

    /** Builds the machine, preallocates the raw loop's tables and checks its PTE values. */
    @Setup(Level.Trial)
    public void machine() {
        rig = new BenchRig(SmmuConfig.gem5());
        cpu = rig.machine.cpu(0);
        pgsize = leaf.equals("4K") ? BenchRig.GRANULE : 2 * BenchRig.MIB;
        paddr = BenchRig.DATA + pgsize;
        leafType = leaf.equals("4K") ? TYPE_PAGE : TYPE_BLOCK;
        int tables = leaf.equals("4K") ? (int) (SIZE / (2 * BenchRig.MIB)) : 1;
        leafTables = new long[tables];
        for (int t = 0; t < tables; t++) {
            leafTables[t] = rig.tables.allocate(BenchRig.GRANULE);
        }
        checkPteValue();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WARM_MILLIS);
        for (int i = 0; i < WARM_CALLS && System.nanoTime() < deadline; i++) {
            freshDomain();
            domain.map(IOVA, paddr, WARM_LEAVES * pgsize, IommuProt.READ_WRITE);
            rig.driver.freeDomain(domain);
            store(leafTables[0], ATTRS_RW | leafType | paddr, WARM_LEAVES);
        }
    }

    /** The raw loop must write what the library writes: compare with a real table's leaf. */
    private void checkPteValue() {
        ArmLpaePageTable table = ArmLpaePageTable.allocate(
                new LpaeConfig(BenchRig.GRANULE, BenchRig.IAS, 48, true), cpu, rig.tables, NO_FLUSH);
        long mapped = table.mapPages(IOVA, paddr, pgsize, 1, IommuProt.READ_WRITE);
        if (mapped != pgsize) {
            throw new IllegalStateException("mapped " + mapped);
        }
        // walk by hand: 4 levels of 9 bits from bit 39; a 2M block is a level-2 leaf
        long t = table.ttbr();
        int lastLevel = pgsize == BenchRig.GRANULE ? 3 : 2;
        long pte = 0;
        for (int level = 0; level <= lastLevel; level++) {
            long index = (IOVA >>> (39 - 9 * level)) & 511;
            pte = cpu.loadLong(t + 8 * index);
            t = pte & ((1L << 48) - 1) & ~0xfffL;
        }
        long want = ATTRS_RW | leafType | paddr;
        if (pte != want) {
            throw new IllegalStateException(String.format(
                    "raw loop would write 0x%x, the page table wrote 0x%x", want, pte));
        }
        table.free();
    }

    /** A fresh, empty domain before each invocation. */
    @Setup(Level.Invocation)
    public void freshDomain() {
        domain = rig.driver.allocateDomain(
                DomainType.UNMANAGED, InvalidationStrategy.OPTIMAL, BenchRig.GRANULE, BenchRig.IAS);
    }

    /** Checks what the invocation mapped (if it mapped), then frees the domain and its tables. */
    @TearDown(Level.Invocation)
    public void freeDomain() {
        OptionalLong last = domain.iovaToPhys(IOVA + SIZE - 1);
        if (last.isPresent() && last.getAsLong() != paddr + SIZE - 1) {
            throw new IllegalStateException("wrong translation 0x" + Long.toHexString(last.getAsLong()));
        }
        rig.driver.freeDomain(domain);
    }

    /** dmalib: {@code IommuDomain.map} of 1 GiB (iommu_map through the driver's LPAE table). */
    @Benchmark
    public void map() {
        domain.map(IOVA, paddr, SIZE, IommuProt.READ_WRITE);
    }

    /** Baseline: the same PTE values stored into the preallocated tables, nothing else. */
    @Benchmark
    public void rawLoop() {
        long pte = ATTRS_RW | leafType | paddr;
        long perTable = leafTables.length == 1 ? SIZE / pgsize : 512;
        for (long table : leafTables) {
            pte = store(table, pte, perTable);
        }
    }

    /**
     * Stores {@code n} consecutive leaves from {@code pte} into {@code table} as one run, the way
     * the page table writes a run of leaves ({@link Cpu#store} of the run's bytes: one access of
     * the machine for the whole run); returns the next leaf.
     */
    private long store(long table, long pte, long n) {
        long next = pte;
        int count = (int) n; // at most one table: 512 entries
        byte[] run = new byte[count * Long.BYTES];
        for (int i = 0; i < count; i++) {
            PTE.set(run, i * Long.BYTES, next);
            next += pgsize;
        }
        cpu.store(table, run, 0, run.length);
        return next;
    }

    // PTEs are little-endian 64-bit words, as arm64 stores them
    private static final VarHandle PTE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private static final FlushOps NO_FLUSH = new FlushOps() {
        @Override
        public void flushAll() {}

        @Override
        public void flushWalk(long iova, long size, long granule) {}

        @Override
        public void addPage(IotlbGather gather, long iova, long granule) {}
    };
}

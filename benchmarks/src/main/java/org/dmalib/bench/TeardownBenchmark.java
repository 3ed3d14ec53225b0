package org.dmalib.bench;

import java.util.concurrent.TimeUnit;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.internal.tlb.CostModel;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.dmalib.iommu.smmu.SmmuV3;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 5 item 1: tearing down a fully mapped 4K domain the way VFIO does, per invalidation
 * strategy. Every 4 KiB page is a last-level page entry (see {@link BenchRig#mapAll4k}); the
 * teardown unmaps {@code [0, size)} in one call (the core picks 1 GiB chunks, each hitting a table
 * entry: a synchronous walk-cache flush and the table tree freed, the leaves gathered and
 * invalidated by the strategy at the sync), detaches the stream and frees the domain.
 *
 * <p>The per-page strategy is the baseline: {@link Report} divides its wall time by each other
 * strategy's at the same size. Commands, syncs and modelled time ({@link CostModel#GEM5}) come
 * from the driver's counters, exact and deterministic; they are reported as auxiliary counters.
 *
 * <p>Mapping 1 to 16 GiB is the expensive part, done in an invocation-level setup outside the
 * timed region; hence single-shot mode. The JIT warm-up is the trial setup's run of small
 * teardowns (see {@link #machine}): the ten warm-up shots alone left the fast strategies'
 * teardown code mostly interpreted. Auxiliary counters: JMH sums them over the measurement
 * iterations; {@link Report} reads one teardown's.
 *
 * <p>Thread-safety: JMH runs each benchmark method on one thread, with {@code Scope.Thread} state
 * of its own; not for concurrent use otherwise.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g"})
@State(Scope.Thread)
public class TeardownBenchmark {
    /** For JMH, which instantiates the benchmark class. */
    public TeardownBenchmark() {
        // nothing: JMH needs a public no-argument constructor
    }

    // C2 compiles a method after about 10,000 invocations or loop back-edges, and a method run
    // once per teardown (the leaf-table batch, a word load of the walk) needs several thousand
    // teardowns before its C2 code is installed: 5,000 left some of them in C1 code
    private static final int WARM_TEARDOWNS = 30_000;
    // the whole warm-up costs at most this per fork (the fast strategies get 10,000 to 17,000
    // teardowns in it)
    private static final long WARM_MILLIS = 6000;
    // 32 last-level tables (128 KiB of them), twice the model's 64 KiB data cache: the warm-up
    // teardown's table reads miss and evict dirty lines, as a measured teardown's do; with 4 MiB
    // (two tables, all cached) those paths stayed in C1 code, or deoptimised, in the timed region
    private static final long WARM_BYTES = 64 * BenchRig.MIB;

    /** Domain size in GiB. */
    @Param({"1", "4", "16"})
    public int gib;

    /** PER_PAGE, LINUX (SMMU with RIL), LINUX_NO_RIL (SMMU without RIL), OPTIMAL. */
    @Param({"PER_PAGE", "LINUX", "LINUX_NO_RIL", "OPTIMAL"})
    public String strategy;

    private BenchRig rig;
    private InvalidationStrategy planning;
    private IommuDomain domain;
    private SmmuDriverCounters before;

    /**
     * What one teardown issued; JMH reports each iteration's (one teardown each). The counts are
     * read from the driver when JMH takes them, after the iteration's timed teardown, so that
     * reading the counters is not timed.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Counts {
        /** For JMH, which instantiates this state class. */
        public Counts() {
            // nothing: JMH needs a public no-argument constructor
        }

        private SmmuV3 driver;
        private SmmuDriverCounters before;

        /** Remembers where the teardown about to be timed counts from. */
        void from(SmmuV3 d, SmmuDriverCounters b) {
            driver = d;
            before = b;
        }

        private SmmuDriverCounters delta() {
            // before the first teardown (JMH may ask early): nothing issued yet
            return driver == null ? null : driver.counters().minus(before);
        }

        /**
         * Commands other than CMD_SYNC: TLBIs and the detach's CFGI.
         *
         * @return the count since the teardown's setup; 0 before the first
         */
        public long commands() {
            SmmuDriverCounters d = delta();
            return d == null ? 0 : d.tlbiNhVa() + d.tlbiNhAsid() + d.tlbiNhAll() + d.cfgi();
        }

        /**
         * CMD_SYNCs.
         *
         * @return the count since the teardown's setup; 0 before the first
         */
        public long syncs() {
            SmmuDriverCounters d = delta();
            return d == null ? 0 : d.cmdSyncs();
        }

        /**
         * Modelled nanoseconds: {@code CostModel.GEM5.nanos(commands, syncs, 0, 0)}.
         *
         * @return the modelled time of what was issued since the teardown's setup
         */
        public double modelledNs() {
            return CostModel.GEM5.nanos(commands(), syncs(), 0, 0);
        }
    }

    /**
     * Builds the machine and SMMU once per fork, then runs the teardown path until the JIT has
     * compiled it: up to {@value #WARM_TEARDOWNS} teardowns of a small domain (64 MiB of 4K pages,
     * torn down as {@code unmap(0, 1 GiB)}, the same 1 GiB table-entry path as the measured ones,
     * its tables twice the CPU's data cache so that their reads miss as the measured ones do)
     * within {@value #WARM_MILLIS} ms. A single-shot measurement otherwise sees the fast
     * strategies' teardown code run a dozen times in all, mostly interpreted, while the per-page
     * plan's loop, run a million times per teardown, is compiled within the first one: that
     * would compare cold code with hot. The per-page strategy gets few of these (each of its
     * teardowns issues 262,144 commands) and needs none.
     */
    @Setup(Level.Trial)
    public void machine() {
        boolean ril = !strategy.equals("LINUX_NO_RIL");
        planning = strategy.equals("LINUX_NO_RIL")
                ? InvalidationStrategy.LINUX : InvalidationStrategy.valueOf(strategy);
        rig = new BenchRig(SmmuConfig.gem5().withRangeInvalidation(ril));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WARM_MILLIS);
        for (int i = 0; i < WARM_TEARDOWNS && System.nanoTime() < deadline; i++) {
            IommuDomain small = rig.attachedDomain(planning);
            BenchRig.mapAll4k(small, WARM_BYTES);
            rig.teardown(small, BenchRig.GIB);
        }
    }


    /**
     * Allocates, attaches and fully maps a fresh domain before each teardown, then collects the
     * garbage the mapping left (hundreds of MiB at 16 GiB), so that no collection of the setup's
     * garbage lands in the timed teardown. Not timed.
     */
    @Setup(Level.Invocation)
    @SuppressWarnings("JavaLangGc") // benchmark hygiene, outside the timed region
    public void mapDomain() {
        domain = rig.attachedDomain(planning);
        BenchRig.mapAll4k(domain, gib * BenchRig.GIB);
        System.gc();
        before = rig.driver.counters();
    }

    /**
     * Unmaps the whole domain, syncs, detaches and frees it: what VFIO does when a container goes.
     *
     * @param counts where JMH reads what the teardown issued (after the timed call)
     */
    @Benchmark
    public void teardown(Counts counts) {
        // two field stores: the counters themselves are read when JMH takes them, untimed
        counts.from(rig.driver, before);
        rig.teardown(domain, gib * BenchRig.GIB);
    }
}

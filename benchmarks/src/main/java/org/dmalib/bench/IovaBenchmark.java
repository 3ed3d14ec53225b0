package org.dmalib.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dmalib.dma.ops.internal.iova.IovaDomain;
import org.dmalib.dma.ops.internal.iova.IovaTree;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 5 item 4: alloc + free pairs of dma-ops' IOVA allocator ({@link IovaDomain}: Linux's
 * {@code alloc_iova_fast}/{@code free_iova_fast}, per-CPU magazines in front of the tree) on 1 and
 * 2 threads, each thread driving its own CPU index, against the same tree without the caches
 * ({@link IovaTree}: {@code alloc_iova}/{@code __free_iova} under the one tree lock).
 *
 * <p>Set-up, the same on both sides: a 32-bit IOVA space of 4 KiB granules (pfns 1 to
 * 2<sup>20</sup> − 1, dma-iommu's space for a device with a 32-bit mask), into which
 * {@value #PREFILL} ranges of the request mix are allocated, then every other one freed: the tree
 * holds {@value #OUTSTANDING} outstanding ranges with holes between them. On the cached side the
 * freed ranges warm the magazines and depot instead (and stay in its tree, as cached ranges do in
 * Linux): the allocations alternate CPU indices, but the frees, of the even-numbered ranges, all
 * go through CPU index 0, whose full magazines spill to the depot, from which CPU index 1 takes
 * its first ones. Requests: a
 * fixed pseudo-random sequence of 1024 sizes per thread, the size class (1, 2, 4, 8, 16 or 32
 * granules) uniform and the size uniform within its class (e.g. 5 to 8 for class 8); all of them
 * hit the range caches. The tree baseline gets the sizes already rounded to their class, naturally
 * aligned, as the domain's tree path asks for them.
 *
 * <p>Each operation allocates one range and frees it at once. Throughput mode; JMH sums a group's
 * threads. A control group, {@code separate2}, runs two threads on two separate domains (nothing
 * shared): its scaling is what the machine allowed two threads at that time, a reference, not a
 * bound (between one-second iterations on a noisy host the shared domain's has come out above
 * it: 1.89 against 1.70 in one run).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IovaBenchmark {
    /** For JMH, which instantiates the benchmark class. */
    public IovaBenchmark() {
        // nothing: JMH needs a public no-argument constructor
    }

    // the benchmark machine's CPU count (MachineConfig.of), and the group benchmarks' threads
    static final int CPUS = 2;
    // 4 KiB pages: the IOMMU granule dma-iommu uses with a 4K-granule domain
    static final long GRANULE = 4096;
    // 2^32 / 4 KiB - 1: the last granule below 4 GiB
    static final long END_PFN = (1L << 20) - 1;
    // a busy device's outstanding mappings (4,096 left after the frees): enough that the tree
    // path walks a populated tree, not an empty one
    static final int PREFILL = 8192;
    static final int OUTSTANDING = PREFILL / 2;
    // a power of two, so the index wraps with a mask
    private static final int SEQUENCE = 1024;

    /** The request mix: {@value #SEQUENCE} sizes from {@code seed}, see the class comment. */
    static long[] sizes(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] out = new long[SEQUENCE];
        for (int i = 0; i < SEQUENCE; i++) {
            int order = r.nextInt(IovaDomain.RANGE_CACHE_MAX_SIZE);
            long hi = 1L << order;
            long lo = order == 0 ? 1 : hi / 2 + 1;
            out[i] = r.nextLong(lo, hi + 1);
        }
        return out;
    }

    /** dmalib's allocator, shared by the group's threads. */
    @State(Scope.Group)
    public static class Cached {
        /** For JMH, which instantiates this state class. */
        public Cached() {
            // nothing: JMH needs a public no-argument constructor
        }

        IovaDomain domain;
        final AtomicInteger nextCpu = new AtomicInteger();

        /** Creates the domain and leaves {@value #OUTSTANDING} ranges outstanding, with holes. */
        @Setup(Level.Trial)
        public void setUp() {
            domain = prefilledDomain();
        }
    }

    /** A domain with {@value #OUTSTANDING} ranges of the mix outstanding, with holes between them. */
    static IovaDomain prefilledDomain() {
        IovaDomain domain = new IovaDomain(GRANULE, 1, END_PFN, CPUS, System::nanoTime);
        long[] s = sizes(0);
        long[] pfn = new long[PREFILL];
        for (int i = 0; i < PREFILL; i++) {
            pfn[i] = domain.allocFast(i % CPUS, s[i % SEQUENCE], END_PFN, true);
        }
        for (int i = 0; i < PREFILL; i += 2) {
            domain.freeFast(i % CPUS, pfn[i], s[i % SEQUENCE]);
        }
        if (domain.outstandingCount() != OUTSTANDING) {
            throw new IllegalStateException("outstanding " + domain.outstandingCount());
        }
        return domain;
    }

    /** The control's ranks: which CPU index each thread of the group takes. */
    @State(Scope.Group)
    public static class Ranks {
        /** For JMH, which instantiates this state class. */
        public Ranks() {
            // nothing: JMH needs a public no-argument constructor
        }

        final AtomicInteger next = new AtomicInteger();
    }

    /**
     * One thread of the control group: a domain of its own (nothing shared with the other
     * thread), its CPU index and request sequence.
     */
    @State(Scope.Thread)
    public static class OwnDomain {
        /** For JMH, which instantiates this state class. */
        public OwnDomain() {
            // nothing: JMH needs a public no-argument constructor
        }

        IovaDomain domain;
        int cpu;
        long[] sizes;
        int next;

        /**
         * Builds the thread's own domain.
         *
         * @param r the group's ranks
         */
        @Setup(Level.Trial)
        public void setUp(Ranks r) {
            domain = prefilledDomain();
            cpu = r.next.getAndIncrement() % CPUS;
            sizes = sizes(1 + cpu);
        }
    }

    /** The baseline: the tree alone, shared by the group's threads. */
    @State(Scope.Group)
    public static class Tree {
        /** For JMH, which instantiates this state class. */
        public Tree() {
            // nothing: JMH needs a public no-argument constructor
        }

        IovaTree tree;
        final AtomicInteger nextThread = new AtomicInteger();

        /** Creates the tree and leaves {@value #OUTSTANDING} ranges allocated, with holes. */
        @Setup(Level.Trial)
        public void setUp() {
            tree = new IovaTree(GRANULE, 1, END_PFN);
            long[] s = rounded(sizes(0));
            long[] pfn = new long[PREFILL];
            for (int i = 0; i < PREFILL; i++) {
                pfn[i] = tree.alloc(s[i % SEQUENCE], END_PFN, true);
            }
            for (int i = 0; i < PREFILL; i += 2) {
                tree.free(pfn[i], s[i % SEQUENCE]);
            }
            if (tree.allocatedCount() != OUTSTANDING) {
                throw new IllegalStateException("allocated " + tree.allocatedCount());
            }
        }
    }

    /** One thread of a cached group: its own CPU index and request sequence. */
    @State(Scope.Thread)
    public static class CachedThread {
        /** For JMH, which instantiates this state class. */
        public CachedThread() {
            // nothing: JMH needs a public no-argument constructor
        }

        int cpu;
        long[] sizes;
        int next;

        /**
         * Takes the next CPU index of the group.
         *
         * @param c the group's domain
         */
        @Setup(Level.Trial)
        public void setUp(Cached c) {
            cpu = c.nextCpu.getAndIncrement() % CPUS;
            sizes = sizes(1 + cpu);
        }
    }

    /** One thread of a tree group: its own request sequence, rounded. */
    @State(Scope.Thread)
    public static class TreeThread {
        /** For JMH, which instantiates this state class. */
        public TreeThread() {
            // nothing: JMH needs a public no-argument constructor
        }

        long[] sizes;
        int next;

        /**
         * Picks the sequence (the same as the cached thread of the same rank).
         *
         * @param t the group's tree
         */
        @Setup(Level.Trial)
        public void setUp(Tree t) {
            sizes = rounded(sizes(1 + t.nextThread.getAndIncrement() % CPUS));
        }
    }

    private static long[] rounded(long[] sizes) {
        long[] out = new long[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            out[i] = IovaDomain.roundedSize(sizes[i]);
        }
        return out;
    }

    private static long cachedPair(Cached c, CachedThread t) {
        long size = t.sizes[t.next++ & (SEQUENCE - 1)];
        long pfn = c.domain.allocFast(t.cpu, size, END_PFN, true);
        c.domain.freeFast(t.cpu, pfn, size);
        return pfn;
    }

    private static long treePair(Tree tr, TreeThread t) {
        long size = t.sizes[t.next++ & (SEQUENCE - 1)];
        long pfn = tr.tree.alloc(size, END_PFN, true);
        tr.tree.free(pfn, size);
        return pfn;
    }

    /**
     * dmalib, one thread on CPU index 0.
     *
     * @param c the domain
     * @param t the thread's state
     * @return the pfn, so the pair is not dead code
     */
    @Benchmark
    @Group("cached1")
    @GroupThreads(1)
    public long cached1(Cached c, CachedThread t) {
        return cachedPair(c, t);
    }

    /**
     * dmalib, two threads on CPU indices 0 and 1.
     *
     * @param c the domain
     * @param t the thread's state
     * @return the pfn
     */
    @Benchmark
    @Group("cached2")
    @GroupThreads(2)
    public long cached2(Cached c, CachedThread t) {
        return cachedPair(c, t);
    }

    /**
     * Control (no goal): two threads, each on a domain of its own, so nothing at all is shared;
     * its scaling over {@link #cached1} is what this machine allows at the time of the run.
     *
     * @param t the thread's own domain
     * @return the pfn
     */
    @Benchmark
    @Group("separate2")
    @GroupThreads(2)
    public long separate2(OwnDomain t) {
        long size = t.sizes[t.next++ & (SEQUENCE - 1)];
        long pfn = t.domain.allocFast(t.cpu, size, END_PFN, true);
        t.domain.freeFast(t.cpu, pfn, size);
        return pfn;
    }

    /**
     * Baseline, one thread: the tree alone.
     *
     * @param tr the tree
     * @param t the thread's state
     * @return the pfn
     */
    @Benchmark
    @Group("tree1")
    @GroupThreads(1)
    public long tree1(Tree tr, TreeThread t) {
        return treePair(tr, t);
    }

    /**
     * Baseline, two threads on the one tree lock (for context: how the tree scales).
     *
     * @param tr the tree
     * @param t the thread's state
     * @return the pfn
     */
    @Benchmark
    @Group("tree2")
    @GroupThreads(2)
    public long tree2(Tree tr, TreeThread t) {
        return treePair(tr, t);
    }
}

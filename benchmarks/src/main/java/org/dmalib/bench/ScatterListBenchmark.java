package org.dmalib.bench;

import java.util.concurrent.TimeUnit;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.DmaMapping;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
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
 * Issue 5 item 3: a scatterlist round trip in strict mode, a non-coherent device behind an SMMUv3
 * ({@link DmaRig}: {@code linux} strategy, RIL): {@link DmaDevice#mapSg} then
 * {@link DmaMapping#unmap} of 8, 64 or 512 physically non-contiguous 4 KiB segments, against the
 * framework baseline {@link PerPageDma} (page by page, the TLB flushed after every page mapped
 * and every page unmapped).
 *
 * <p>dmalib does per list: the cache clean of every segment with one barrier, one IOVA range, the
 * pages mapped with no TLB work, the DMA segments merged (up to the 64 KiB maximum segment size);
 * unmap: the invalidate with one barrier, the pages unmapped with their invalidations gathered and
 * synced once (one range TLBI + CMD_SYNC), the IOVA range freed.
 *
 * <p>Both sides check their result once at setup; {@link #roundTripCounts} counts what one
 * round trip issues, for {@link Report}.
 *
 * <p>Thread-safety: JMH runs each benchmark method on one thread, with {@code Scope.Thread} state
 * of its own; not for concurrent use otherwise.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScatterListBenchmark {
    /** For JMH, which instantiates the benchmark class. */
    public ScatterListBenchmark() {
        // nothing: JMH needs a public no-argument constructor
    }

    static final DmaDirection DIR = DmaDirection.BIDIRECTIONAL;
    /** The list length of the coherent context pair (the goal's length). */
    static final int CONTEXT_SEGMENTS = 64;

    /**
     * The list's length, the same for both sides.
     *
     * <p>Thread-safety: its subclasses are {@code Scope.Thread} states: each benchmark thread gets
     * an instance of its own; not thread-safe.
     */
    @State(Scope.Thread)
    public abstract static class Rig {
        /** For the subclasses, which JMH instantiates. */
        protected Rig() {
            // nothing: the subclasses call it
        }

        /** 4 KiB segments in the list. */
        @Param({"8", "64", "512"})
        public int segments;

        DmaRig rig;
        DmaDevice dev;
    }

    /**
     * dmalib: a non-coherent device over the domain's DMA side.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @State(Scope.Thread)
    public static class Dmalib extends Rig {
        /** For JMH, which instantiates this state class. */
        public Dmalib() {
            // nothing: JMH needs a public no-argument constructor
        }

        /** Builds the machine and the device, and checks one round trip. */
        @Setup(Level.Trial)
        public void setUp() {
            rig = new DmaRig(segments, Coherency.NON_COHERENT);
            dev = checkedDevice(rig);
        }
    }

    /**
     * The framework baseline, non-coherent.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @State(Scope.Thread)
    public static class Framework extends Rig {
        /** For JMH, which instantiates this state class. */
        public Framework() {
            // nothing: JMH needs a public no-argument constructor
        }

        PerPageDma dma;
        long[] iovas;

        /** Builds the machine and the baseline, and checks one round trip. */
        @Setup(Level.Trial)
        public void setUp() {
            rig = new DmaRig(segments, Coherency.NON_COHERENT);
            dma = checkedBaseline(rig);
            iovas = new long[segments];
        }
    }

    /**
     * Context: dmalib with a coherent device (no cache maintenance), 64 segments.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @State(Scope.Thread)
    public static class CoherentDmalib {
        /** For JMH, which instantiates this state class. */
        public CoherentDmalib() {
            // nothing: JMH needs a public no-argument constructor
        }

        DmaRig rig;
        DmaDevice dev;

        /** Builds it and checks one round trip. */
        @Setup(Level.Trial)
        public void setUp() {
            rig = new DmaRig(CONTEXT_SEGMENTS, Coherency.COHERENT);
            dev = checkedDevice(rig);
        }
    }

    /**
     * Context: the baseline with a coherent device, 64 segments.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @State(Scope.Thread)
    public static class CoherentFramework {
        /** For JMH, which instantiates this state class. */
        public CoherentFramework() {
            // nothing: JMH needs a public no-argument constructor
        }

        DmaRig rig;
        PerPageDma dma;
        final long[] iovas = new long[CONTEXT_SEGMENTS];

        /** Builds it and checks one round trip. */
        @Setup(Level.Trial)
        public void setUp() {
            rig = new DmaRig(CONTEXT_SEGMENTS, Coherency.COHERENT);
            dma = checkedBaseline(rig);
        }
    }

    /** A device over {@code rig}'s domain, after one round trip whose translations are checked. */
    private static DmaDevice checkedDevice(DmaRig rig) {
        DmaDevice dev = rig.device();
        DmaMapping m = dev.mapSg(rig.cpu, rig.list, DIR);
        long offset = 0;
        for (DmaSegment d : m.dmaSegments()) {
            for (long b = 0; b < d.dmaLength(); b += DmaRig.PAGE) {
                long want = rig.list.segment((int) ((offset + b) / DmaRig.PAGE)).paddr();
                check(rig.domain.iovaToPhys(d.dmaAddress() + b).orElse(-1), want);
            }
            offset += d.dmaLength();
        }
        m.unmap(rig.cpu);
        checkUnmapped(rig, m.dmaAddress(), offset);
        return dev;
    }

    /** The baseline over {@code rig}'s domain, after one round trip whose translations are checked. */
    private static PerPageDma checkedBaseline(DmaRig rig) {
        PerPageDma dma = new PerPageDma(rig.domain, rig.params, rig.cpu, rig.machine.cpuCount());
        long[] iovas = new long[rig.list.size()];
        dma.map(rig.list, DIR, iovas);
        for (int i = 0; i < iovas.length; i++) {
            check(rig.domain.iovaToPhys(iovas[i]).orElse(-1), rig.list.segment(i).paddr());
        }
        dma.unmap(rig.list, DIR, iovas);
        for (long iova : iovas) {
            checkUnmapped(rig, iova, DmaRig.PAGE);
        }
        return dma;
    }

    private static void check(long got, long want) {
        if (got != want) {
            throw new IllegalStateException(String.format("translates to 0x%x, not 0x%x", got, want));
        }
    }

    private static void checkUnmapped(DmaRig rig, long iova, long size) {
        for (long a = iova; a < iova + size; a += DmaRig.PAGE) {
            if (rig.domain.iovaToPhys(a).isPresent()) {
                throw new IllegalStateException(String.format("iova=0x%x still mapped", a));
            }
        }
    }

    /**
     * dmalib: {@code dma_map_sg} + {@code dma_unmap_sg}.
     *
     * @param s the device
     */
    @Benchmark
    public void dmalib(Dmalib s) {
        s.dev.mapSg(s.rig.cpu, s.rig.list, DIR).unmap(s.rig.cpu);
    }

    /**
     * Baseline: the same list mapped and unmapped page by page, the TLB flushed after each: per
     * page one TLBI_NH_ASID + CMD_SYNC on map and one TLBI_NH_VA + CMD_SYNC on unmap.
     *
     * @param s the baseline
     */
    @Benchmark
    public void framework(Framework s) {
        s.dma.map(s.rig.list, DIR, s.iovas);
        s.dma.unmap(s.rig.list, DIR, s.iovas);
    }

    /**
     * Context: {@link #dmalib} for a coherent device, 64 segments.
     *
     * @param s the device
     */
    @Benchmark
    public void dmalibCoherent(CoherentDmalib s) {
        s.dev.mapSg(s.rig.cpu, s.rig.list, DIR).unmap(s.rig.cpu);
    }

    /**
     * Context: {@link #framework} for a coherent device, 64 segments.
     *
     * @param s the baseline
     */
    @Benchmark
    public void frameworkCoherent(CoherentFramework s) {
        s.dma.map(s.rig.list, DIR, s.iovas);
        s.dma.unmap(s.rig.list, DIR, s.iovas);
    }

    /** What one round trip issues: commands other than CMD_SYNC, syncs, cache barriers. */
    record Counts(long commands, long syncs, long barriers) {}

    /**
     * Counts one round trip of each side (the second one, after a warm-up round trip), in this
     * JVM, for {@link Report}.
     *
     * @param segments the list's length
     * @return {dmalib, framework}
     */
    static Counts[] roundTripCounts(int segments) {
        DmaRig a = new DmaRig(segments, Coherency.NON_COHERENT);
        DmaDevice dev = a.device();
        Runnable lib = () -> dev.mapSg(a.cpu, a.list, DIR).unmap(a.cpu);
        DmaRig b = new DmaRig(segments, Coherency.NON_COHERENT);
        PerPageDma dma = new PerPageDma(b.domain, b.params, b.cpu, b.machine.cpuCount());
        long[] iovas = new long[segments];
        Runnable base = () -> {
            dma.map(b.list, DIR, iovas);
            dma.unmap(b.list, DIR, iovas);
        };
        return new Counts[] {count(a, lib), count(b, base)};
    }

    private static Counts count(DmaRig rig, Runnable roundTrip) {
        roundTrip.run();
        SmmuDriverCounters before = rig.driver.counters();
        HwCounters hw = rig.machine.counters();
        roundTrip.run();
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        return new Counts(d.tlbiNhVa() + d.tlbiNhAsid() + d.tlbiNhAll() + d.cfgi(), d.cmdSyncs(),
                rig.machine.counters().minus(hw).barriers());
    }
}

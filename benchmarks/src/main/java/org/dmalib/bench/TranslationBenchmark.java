package org.dmalib.bench;

import java.util.concurrent.TimeUnit;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 5 item 5: a device's 64-byte DMA read through the SMMU, translated from a warm IOTLB
 * ({@link SmmuConfig#gem5()}) against the same read on an SMMU without translation caches
 * ({@link SmmuConfig#noCache()}), where every access misses and walks the four levels. For
 * context (no goal), the same read on a stream with no SMMU in front: the data movement alone
 * (64 bytes through the coherence fabric, snooping the CPU caches), which both translated reads
 * also pay. The page read holds data written to RAM before the run.
 *
 * <p>Thread-safety: JMH runs each benchmark method on one thread, with {@code Scope.Thread} state
 * of its own; not for concurrent use otherwise.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TranslationBenchmark {
    /** For JMH, which instantiates the benchmark class. */
    public TranslationBenchmark() {
        // nothing: JMH needs a public no-argument constructor
    }

    // 1 GiB: any page-aligned IOVA inside the 48-bit space would do; a fresh domain has no
    // other mapping, so the walk reads four tables of its own
    private static final long IOVA = 0x4000_0000L;
    // one 64-byte cache line, a typical descriptor read
    private static final int BYTES = 64;

    /**
     * A stream behind an SMMU, a 4K page mapped at {@link #IOVA}, one warm-up read done.
     *
     * <p>Thread-safety: its subclasses are {@code Scope.Thread} states: each benchmark thread gets
     * an instance of its own; not thread-safe.
     */
    public abstract static class Device {
        /** For the subclasses, which JMH instantiates. */
        protected Device() {
            // nothing: the subclasses call it
        }

        DmaPort port;
        final byte[] buffer = new byte[BYTES];

        void build(SmmuConfig config) {
            BenchRig rig = new BenchRig(config);
            fillPage(rig);
            IommuDomain domain = rig.attachedDomain(InvalidationStrategy.LINUX);
            domain.map(IOVA, BenchRig.DATA, BenchRig.GRANULE, IommuProt.READ_WRITE);
            port = rig.port();
            if (port.read(IOVA, buffer, 0, BYTES) != DmaStatus.OK) {
                throw new IllegalStateException("read aborted");
            }
        }
    }

    /**
     * Writes the data page in RAM, as a driver's buffer would hold data: a never-written page
     * reads from the model's shared zero frame, a shortcut no real buffer takes.
     */
    static void fillPage(BenchRig rig) {
        byte[] page = new byte[BenchRig.GRANULE];
        for (int i = 0; i < page.length; i++) {
            page[i] = (byte) (i * 31 + 7); // any non-zero pattern
        }
        rig.machine.memory().write(BenchRig.DATA, page, 0, page.length);
    }

    /**
     * gem5's IOTLB: after the first read, every read hits the micro-TLB.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @State(Scope.Thread)
    public static class Cached extends Device {
        /** For JMH, which instantiates this state class. */
        public Cached() {
            // nothing: JMH needs a public no-argument constructor
        }

        /** Builds it. */
        @Setup(Level.Trial)
        public void setUp() {
            build(SmmuConfig.gem5());
        }
    }

    /**
     * No translation caches: every read walks.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @State(Scope.Thread)
    public static class Uncached extends Device {
        /** For JMH, which instantiates this state class. */
        public Uncached() {
            // nothing: JMH needs a public no-argument constructor
        }

        /** Builds it. */
        @Setup(Level.Trial)
        public void setUp() {
            build(SmmuConfig.noCache());
        }
    }

    /**
     * A stream with no SMMU: bus addresses are physical addresses.
     *
     * <p>Thread-safety: {@code Scope.Thread}: each benchmark thread gets an instance of its own;
     * not thread-safe.
     */
    @State(Scope.Thread)
    public static class Direct {
        /** For JMH, which instantiates this state class. */
        public Direct() {
            // nothing: JMH needs a public no-argument constructor
        }

        DmaPort port;
        final byte[] buffer = new byte[BYTES];

        /** Builds it. */
        @Setup(Level.Trial)
        public void setUp() {
            BenchRig rig = new BenchRig(SmmuConfig.gem5());
            fillPage(rig);
            // a stream of its own, not BenchRig.STREAM, with no SMMU in front
            port = rig.machine.attach(BenchRig.STREAM + 1, Coherency.COHERENT);
        }
    }

    /**
     * dmalib with a warm IOTLB: 64-byte read, translation hit.
     *
     * @param d the device
     * @return the status, so the read is not dead code
     */
    @Benchmark
    public DmaStatus iotlbHit(Cached d) {
        return d.port.read(IOVA, d.buffer, 0, BYTES);
    }

    /**
     * Baseline: the same read on an SMMU without caches, a miss and a four-level walk.
     *
     * @param d the device
     * @return the status, so the read is not dead code
     */
    @Benchmark
    public DmaStatus missAndWalk(Uncached d) {
        return d.port.read(IOVA, d.buffer, 0, BYTES);
    }

    /**
     * Context: the same 64-byte read, untranslated (the physical address the IOVA maps to).
     *
     * @param d the device
     * @return the status, so the read is not dead code
     */
    @Benchmark
    public DmaStatus untranslated(Direct d) {
        return d.port.read(BenchRig.DATA, d.buffer, 0, BYTES);
    }
}

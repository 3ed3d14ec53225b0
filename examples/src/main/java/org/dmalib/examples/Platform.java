package org.dmalib.examples;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.dma.ops.DeviceParams;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.FlushMode;
import org.dmalib.dma.ops.IommuDmaDomain;
import org.dmalib.dma.ops.LazyFlushCounters;
import org.dmalib.dma.ops.PageAllocator;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * The composition root the scenarios share: a machine, its page allocator, and one device
 * stream, either straight to memory or behind an SMMUv3 (gem5's, driven by the SMMUv3 driver,
 * with a DMA domain of 4 KiB granules and Linux's invalidation strategy). The device model gets
 * {@link #port}, the driver {@link #dev}.
 *
 * <p>The DMA domain's clock is a modelled one that the scenario {@linkplain #advance advances}
 * per operation, so that the lazy flush queue's 10 ms timeout fires at the same operations on
 * every run, however fast this JVM is.
 *
 * <p>Not thread-safe: one scenario thread uses it.
 */
final class Platform {
    /** The device's stream ID: any stream of the SMMU's stream table. */
    static final int STREAM_ID = 7;

    // 256 MiB of sparse RAM: far more than a scenario's rings and buffers
    private static final long MEMORY = 256L << 20;
    // a 1 MiB bounce pool: the scenarios' buffers sit below the 32-bit mask, nothing bounces
    private static final long BOUNCE_POOL = 1L << 20;
    // 8 MiB for the stream table, queues and page tables of one small domain
    private static final long TABLES = 8L << 20;
    // 48-bit IOVAs, 4 KiB granule: arm64's usual DMA domain
    private static final int IAS = 48;
    private static final int GRANULE = 4096;

    final IommuMode mode;
    final Machine machine = Machine.create(MachineConfig.of(MEMORY));
    final PageAllocator memory = PageAllocator.create(machine, BOUNCE_POOL);
    final Cpu cpu = machine.cpu(0);
    final DmaPort port;
    final DmaDevice dev;
    private final AtomicLong nanos = new AtomicLong();
    // null on the direct path
    private final Smmu smmu;
    private final SmmuV3 smmuDriver;
    private final IommuDomain domain;
    private final IommuDmaDomain dmaDomain;

    /** What the counters of the whole platform read at one moment. */
    record Snapshot(HwCounters hw, SmmuCounters smmu, SmmuDriverCounters commands,
            LazyFlushCounters lazy) {
        /** Returns the counts from {@code earlier} to this snapshot. */
        Snapshot minus(Snapshot earlier) {
            return new Snapshot(hw.minus(earlier.hw), smmu.minus(earlier.smmu),
                    commands.minus(earlier.commands), lazy.minus(earlier.lazy));
        }
    }

    Platform(IommuMode mode, Coherency coherency) {
        this(mode, coherency, DebugMode.THROW);
    }

    Platform(IommuMode mode, Coherency coherency, DebugMode debug) {
        this.mode = mode;
        if (mode == IommuMode.DIRECT) {
            smmu = null;
            smmuDriver = null;
            domain = null;
            dmaDomain = null;
            port = machine.attach(STREAM_ID, coherency);
            dev = DmaDevice.create(memory, DeviceParams.of(port).withDebug(debug));
            return;
        }
        long tables = memory.reserveRegion(TABLES, TableMemory.MAX_BLOCK);
        smmu = machine.addSmmu(SmmuConfig.gem5());
        smmuDriver = SmmuV3.probe(smmu, cpu, TableMemory.of(machine, tables, TABLES));
        domain = smmuDriver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, GRANULE, IAS);
        smmuDriver.attach(domain, STREAM_ID);
        dmaDomain = IommuDmaDomain.create(memory, domain, nanos::get);
        port = machine.attach(STREAM_ID, coherency, smmu);
        FlushMode flush = mode == IommuMode.LAZY ? FlushMode.LAZY : FlushMode.STRICT;
        dev = DmaDevice.create(memory, DeviceParams.of(port).withFlushMode(flush).withDebug(debug),
                dmaDomain);
    }

    /** Advances the modelled clock by {@code delta} nanoseconds. */
    void advance(long delta) {
        nanos.addAndGet(delta);
    }

    /** Reads every counter now; SMMU and lazy counters are zero on the direct path. */
    Snapshot snapshot() {
        if (smmu == null) {
            return new Snapshot(machine.counters(), SmmuCounters.ZERO, SmmuDriverCounters.ZERO,
                    LazyFlushCounters.ZERO);
        }
        return new Snapshot(machine.counters(), smmu.counters(), smmuDriver.counters(),
                dmaDomain.flushQueueCounters());
    }

    /** Returns the SMMU's recent events (faults), or none on the direct path. */
    List<SmmuEvent> events() {
        return smmu == null ? List.of() : smmu.events();
    }

    /**
     * After the driver has detached: runs the flush queue dry (its ranges are freed), detaches
     * the stream and frees the domain. Does nothing on the direct path.
     */
    void teardown() {
        if (smmu == null) {
            return;
        }
        dmaDomain.flushQueue();
        smmuDriver.detach(STREAM_ID);
        smmuDriver.freeDomain(domain);
    }

    /** Returns the IOVA ranges still allocated (flush queue included); 0 on the direct path. */
    long iovaRangesOutstanding() {
        return dmaDomain == null ? 0 : dmaDomain.iovaRangesOutstanding();
    }
}

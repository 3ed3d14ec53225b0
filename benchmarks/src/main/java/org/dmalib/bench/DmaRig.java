package org.dmalib.bench;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.dma.ops.DeviceParams;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.FlushMode;
import org.dmalib.dma.ops.IommuDmaDomain;
import org.dmalib.dma.ops.PageAllocator;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * The composition root of README "Behind an SMMU" (and dma-ops' {@code IommuRig}): a 256 MiB
 * machine with 2 CPUs, an SMMU ({@link SmmuConfig#gem5()}: range invalidation, coherent table
 * walks) probed by the SMMUv3 driver with its tables in a region the page allocator reserved, a
 * DMA domain (4K granule, 48-bit, {@link InvalidationStrategy#LINUX}) attached to one stream, and
 * a port on that stream (non-coherent for the benchmark, coherent for context); plus a scatterlist of whole, physically non-contiguous 4 KiB
 * segments (every other page of one buffer).
 *
 * <p>The device's DMA parameters are built in one place, {@link #deviceParams}; the dmalib side
 * passes them to {@link DmaDevice#create}, the framework baseline reads its coherency and DMA mask
 * from them.
 */
final class DmaRig {
    // any stream ID the SMMU's stream table covers (one device); the value is arbitrary
    static final int STREAM = 3;
    static final int PAGE = PageAllocator.PAGE_SIZE;
    private static final long MEMORY = 256L << 20;
    // the bounce pool is never used (trusted device, 32-bit mask, buffers below 4 GiB): its minimum
    private static final long BOUNCE_POOL = 1L << 20;
    // 16 MiB of page tables: a few tables are enough for 512 pages, as in IommuRig
    private static final long TABLES = 16L << 20;

    final Machine machine = Machine.create(MachineConfig.of(MEMORY));
    final PageAllocator memory = PageAllocator.create(machine, BOUNCE_POOL);
    final Cpu cpu = machine.cpu(0);
    final SmmuV3 driver;
    final IommuDomain domain;
    final DmaPort port;
    final DeviceParams params;
    final ScatterList list;

    /**
     * Builds it.
     *
     * @param segments how many 4 KiB segments the list has, each one page apart from the next
     * @param coherency the port's coherency: NON_COHERENT (the benchmark) or COHERENT (context:
     *     no cache maintenance)
     */
    DmaRig(int segments, Coherency coherency) {
        long tables = memory.reserveRegion(TABLES, TableMemory.MAX_BLOCK);
        driver = SmmuV3.probe(machine.addSmmu(SmmuConfig.gem5()), cpu,
                TableMemory.of(machine, tables, TABLES));
        domain = driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, PAGE, BenchRig.IAS);
        driver.attach(domain, STREAM);
        port = machine.attach(STREAM, coherency, driver.smmu());
        params = deviceParams(port);
        // twice the pages, the list takes the even ones: no two segments are physically adjacent
        CpuBuffer buffer = memory.allocate(2 * segments * PAGE);
        List<Segment> s = new ArrayList<>(segments);
        for (int i = 0; i < segments; i++) {
            s.add(buffer.segment(2 * i * PAGE, PAGE));
        }
        list = ScatterList.of(s);
    }

    /**
     * The device's DMA parameters, the one place they are set: Linux's defaults for the port
     * (its coherency, 32-bit mask, 64 KiB segments, no boundary, trusted) and strict unmaps.
     */
    static DeviceParams deviceParams(DmaPort port) {
        // debug checks off: both sides are measured without dma-debug, as production kernels run
        return DeviceParams.of(port).withFlushMode(FlushMode.STRICT).withDebug(DebugMode.OFF);
    }

    /** The driver-side device over a fresh DMA side of the domain (dmalib's path). */
    DmaDevice device() {
        return DmaDevice.create(memory, params, IommuDmaDomain.create(memory, domain));
    }
}

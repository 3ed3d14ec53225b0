package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.dma.ops.internal.bounce.BouncePool;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.Chunks;
import org.dmalib.dma.ops.internal.direct.DirectOps;
import org.dmalib.dma.ops.internal.iommu.IommuMapped;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;

/**
 * {@link DmaDevice}'s map calls. Streaming ({@code mapSingle}, {@code mapPage}, {@code mapSg}):
 * checks the driver's arguments, runs the map-time debug checks ({@link MapChecks}), then maps
 * on the device's one path, direct (with bouncing above the mask) or dma-iommu ({@link
 * IommuPath}), and registers the mapping in the device's {@link DeviceState}. Coherent
 * ({@code dma_alloc_coherent}): takes the pages (below the DMA mask on the direct path,
 * anywhere over an IOMMU), prepares and zeroes them as the device will see them, maps them
 * through the IOMMU if there is one, and registers the buffer.
 *
 * <p>Thread-safety: safe for concurrent use; it holds no state of its own. The direct path plans
 * its chunks (reserving bounce buffers) and registers the mapping under the device's lock, in
 * one {@link DeviceState#addWhileAttached}; the IOMMU path checks the device is attached under
 * the lock, maps outside it and registers under it again. Coherent pages are taken under the
 * lock ({@link DeviceState#whileAttached}) and the buffer registered under it. Cache
 * maintenance, zeroing, copies and IOMMU work run outside the lock.
 */
final class DeviceMapper {
    /** The largest coherent allocation: the last int whose page-rounded size is an int too. */
    static final int MAX_COHERENT_SIZE = Integer.MAX_VALUE & -PageAllocator.PAGE_SIZE;

    private final DmaDevice device;
    private final PageAllocator memory;
    private final DeviceParams params;
    // null on the direct path
    private final IommuPath iommu;
    private final DeviceDebug debug;
    private final DeviceState state;
    private final DeviceChecks checks;

    DeviceMapper(DmaDevice device, PageAllocator memory, DeviceParams params, IommuPath iommu,
            DeviceDebug debug, DeviceState state, DeviceChecks checks) {
        this.device = device;
        this.memory = memory;
        this.params = params;
        this.iommu = iommu;
        this.debug = debug;
        this.state = state;
        this.checks = checks;
    }

    /** {@link DmaDevice#mapSingle(Cpu, CpuBuffer, DmaDirection)}. */
    DmaMapping mapSingle(Cpu cpu, CpuBuffer buffer, DmaDirection dir) {
        checks.checkBuffer(buffer);
        return mapSingle(cpu, buffer.paddr(), buffer.size(), dir);
    }

    /** {@link DmaDevice#mapSingle(Cpu, long, long, DmaDirection)}. */
    DmaMapping mapSingle(Cpu cpu, long paddr, long size, DmaDirection dir) {
        checks.checkCpu(cpu);
        Checks.mappable(dir);
        checks.checkRange(paddr, size, "paddr");
        return map(cpu, MappingKind.SINGLE, Chunks.of(new Chunk(paddr, Chunk.NOT_BOUNCED, size)), dir, false);
    }

    /** {@link DmaDevice#mapPage}: a mapping failure becomes {@link DmaDevice#DMA_MAPPING_ERROR}. */
    long mapPage(Cpu cpu, long paddr, long size, DmaDirection dir) {
        checks.checkCpu(cpu);
        Checks.mappable(dir);
        checks.checkRange(paddr, size, "paddr");
        try {
            return map(cpu, MappingKind.SINGLE, Chunks.of(new Chunk(paddr, Chunk.NOT_BOUNCED, size)), dir, true).dmaAddress();
        } catch (DmaMappingException e) {
            return DmaDevice.DMA_MAPPING_ERROR;
        }
    }

    /** {@link DmaDevice#mapSg}. */
    DmaMapping mapSg(Cpu cpu, ScatterList list, DmaDirection dir) {
        checks.checkCpu(cpu);
        Checks.notNull(list, "list");
        Checks.mappable(dir);
        int n = list.size();
        long memorySize = checks.memorySize();
        for (int i = 0; i < n; i++) {
            Segment s = list.segment(i);
            checks.checkSegment(s.paddr(), s.length(), i, memorySize);
        }
        // the list is immutable: the mapping keeps a view of it, no record per segment
        return map(cpu, MappingKind.SCATTER_GATHER, Chunks.of(list), dir, false);
    }

    /**
     * Maps the driver's ranges: the debug checks first (nothing is changed when one throws),
     * then the direct path or dma-iommu; the mapping is registered, owned by the device.
     */
    private DmaMapping map(Cpu cpu, MappingKind kind, Chunks ranges, DmaDirection dir,
            boolean mustCheckError) {
        List<StackTraceElement> at = debug.capture();
        List<Long> lines = List.of();
        List<Chunk> checked = List.of();
        if (debug.enabled()) {
            checked = ranges.asList();
            MapChecks.check(device, kind, checked, at);
            lines = MapChecks.claimLines(device, checked, dir, at);
        }
        DmaMapping.DebugInfo info = new DmaMapping.DebugInfo(ranges.count(), at, lines, mustCheckError,
                checked);
        try {
            return iommu != null ? mapIommu(cpu, kind, ranges, dir, info) : mapDirect(cpu, kind, ranges, dir, info);
        } catch (RuntimeException e) {
            memory.debug().removeLines(lines);
            throw e;
        }
    }

    private DmaMapping mapDirect(Cpu cpu, MappingKind kind, Chunks ranges, DmaDirection dir,
            DmaMapping.DebugInfo info) {
        BouncePool pool = memory.pool();
        List<Chunk> chunks = new ArrayList<>(ranges.count());
        DmaMapping mapping = state.addWhileAttached(() -> {
            try {
                for (int i = 0; i < ranges.count(); i++) {
                    chunks.add(DirectPath.plan(pool, params, ranges.phys(i), ranges.size(i)));
                }
                if (kind == MappingKind.SCATTER_GATHER && debug.enabled()) {
                    MapChecks.checkBoundaries(device, chunks, info.mappedAt());
                }
            } catch (RuntimeException e) {
                // nothing may stay reserved when the mapping fails
                for (Chunk c : chunks) {
                    if (c.bounced()) {
                        DirectPath.release(pool, params, c.bounce(), c.size());
                    }
                }
                throw e;
            }
            return new DmaMapping(device, kind, dir, Chunks.of(chunks), null, info);
        });
        DirectOps.map(cpu, chunks, dir, params.coherent());
        return mapping;
    }

    private DmaMapping mapIommu(Cpu cpu, MappingKind kind, Chunks ranges, DmaDirection dir,
            DmaMapping.DebugInfo info) {
        // the driver's ranges are the chunks: nothing is bounced before the IOMMU path decides
        state.checkAttached();
        IommuMapped mapped = iommu.map(cpu, kind, ranges, dir);
        if (kind == MappingKind.SCATTER_GATHER && debug.enabled()) {
            try {
                MapChecks.checkDmaBoundaries(device, mapped.dmaSegments(), info.mappedAt());
            } catch (RuntimeException e) {
                // THROW mode: the device was never told the addresses, nothing may stay mapped
                iommu.undo(cpu, mapped);
                throw e;
            }
        }
        // the CPU side as mapped: an untrusted device's chunks may name bounce buffers
        DmaMapping mapping = new DmaMapping(device, kind, dir, mapped.chunks(), mapped, info);
        if (state.addIfAttached(mapping)) {
            return mapping;
        }
        // detached while mapping: nothing may stay behind
        iommu.unmap(cpu, mapped);
        throw state.detachedError();
    }

    /** {@link DmaDevice#allocCoherent}: nothing stays allocated or mapped when it throws. */
    CoherentBuffer allocCoherent(Cpu cpu, int size) {
        checks.checkCpu(cpu);
        Checks.positive(size, "size");
        if (size > MAX_COHERENT_SIZE) {
            throw new DmaUsageException(String.format(
                    "size=%d must be at most %d: its whole pages must fit an int", size, MAX_COHERENT_SIZE));
        }
        // dma-iommu allocates whole IOVA granules (granule-aligned pages of the granule's orders),
        // so that the device reaches no byte of another buffer through the allocation's mapping
        long unit = iommu == null ? PageAllocator.PAGE_SIZE
                : Math.max(PageAllocator.PAGE_SIZE, iommu.domain().granule());
        long whole = ((long) size + unit - 1) & -unit;
        if (whole > Integer.MAX_VALUE) {
            throw new DmaUsageException(String.format("size=%d must be at most %d: its whole"
                    + " IOVA granules of %d bytes must fit an int", size, Integer.MAX_VALUE & -unit,
                    unit));
        }
        List<StackTraceElement> at = debug.capture();
        // dma-iommu takes any pages (the IOVA is below the mask); dma-direct pages below it
        CpuBuffer pages = state.whileAttached(() -> iommu != null
                ? memory.allocateAligned((int) whole, unit) : allocateBelowMask(size));
        prepare(cpu, pages, whole);
        IommuMapped mapped = null;
        if (iommu != null) {
            try {
                mapped = iommu.mapCoherent(cpu, pages.paddr(), whole);
            } catch (RuntimeException e) {
                memory.free(pages);
                throw e;
            }
        }
        long dma = mapped == null ? pages.paddr() : mapped.dmaSegments().get(0).dmaAddress();
        CoherentBuffer buffer = new CoherentBuffer(device, pages, size, dma, mapped, cpu, at);
        if (state.addIfAttached(buffer)) {
            return buffer;
        }
        // detached while mapping: nothing may stay behind
        if (mapped != null) {
            iommu.unmap(cpu, mapped);
        }
        memory.free(pages);
        throw state.detachedError();
    }

    /** dma-direct's pages below the DMA mask; a failure names the mask the driver set. */
    private CpuBuffer allocateBelowMask(int size) {
        try {
            return memory.allocateWithin(params.dmaMask(), size);
        } catch (DmaMappingException e) {
            throw new DmaMappingException(String.format(
                    "no free pages for a coherent allocation of size=%d below dmaMask=0x%x: %s",
                    size, params.dmaMask(), e.getMessage()), e);
        }
    }

    /** Zeroes {@code whole} bytes of fresh coherent pages as the device will see them. */
    private void prepare(Cpu cpu, CpuBuffer pages, long whole) {
        if (params.coherent()) {
            cpu.store(pages.paddr(), new byte[(int) whole], 0, (int) whole);
        } else {
            DirectOps.prepCoherent(cpu, pages.paddr(), whole);
            memory.machine().memory().fill(pages.paddr(), whole, (byte) 0);
        }
    }
}

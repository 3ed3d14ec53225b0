package org.dmalib.dma.ops;

import java.util.List;
import org.dmalib.dma.ops.internal.direct.DirectOps;
import org.dmalib.dma.ops.internal.iommu.IommuMapped;
import org.dmalib.hw.Cpu;

/**
 * {@link DmaDevice}'s coherent allocations ({@code dma_alloc_coherent}): takes the pages (below
 * the DMA mask on the direct path, anywhere over an IOMMU), prepares and zeroes them as the
 * device will see them, maps them through the IOMMU if there is one, and registers the buffer
 * in the device's {@link DeviceState}.
 *
 * <p>Thread-safety: safe for concurrent use; it holds no state of its own. The pages are taken
 * under the device's lock ({@link DeviceState#whileAttached}) and the buffer registered under
 * it; the zeroing, cache maintenance and IOMMU mapping run outside it.
 */
final class CoherentAllocator {
    private final DmaDevice device;
    private final PageAllocator memory;
    private final DeviceParams params;
    // null on the direct path
    private final IommuPath iommu;
    private final DeviceDebug debug;
    private final DeviceState state;
    private final DeviceChecks checks;

    CoherentAllocator(DmaDevice device, PageAllocator memory, DeviceParams params, IommuPath iommu,
            DeviceDebug debug, DeviceState state, DeviceChecks checks) {
        this.device = device;
        this.memory = memory;
        this.params = params;
        this.iommu = iommu;
        this.debug = debug;
        this.state = state;
        this.checks = checks;
    }

    /** {@link DmaDevice#allocCoherent}: nothing stays allocated or mapped when it throws. */
    CoherentBuffer allocate(Cpu cpu, int size) {
        checks.checkCpu(cpu);
        Checks.positive(size, "size");
        List<StackTraceElement> at = debug.capture();
        // dma-iommu takes any pages (the IOVA is below the mask); dma-direct pages below it
        CpuBuffer pages = state.whileAttached(() -> iommu != null
                ? memory.allocate(size) : memory.allocateWithin(params.dmaMask(), size));
        long whole = roundUpToPage(size);
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

    /** Zeroes {@code whole} bytes of fresh coherent pages as the device will see them. */
    private void prepare(Cpu cpu, CpuBuffer pages, long whole) {
        if (params.coherent()) {
            cpu.store(pages.paddr(), new byte[(int) whole], 0, (int) whole);
        } else {
            DirectOps.prepCoherent(cpu, pages.paddr(), whole);
            memory.machine().memory().fill(pages.paddr(), whole, (byte) 0);
        }
    }

    private static int roundUpToPage(int size) {
        return (int) (((long) size + PageAllocator.PAGE_SIZE - 1) & -PageAllocator.PAGE_SIZE);
    }
}

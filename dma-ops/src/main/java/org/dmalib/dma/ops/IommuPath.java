package org.dmalib.dma.ops;

import org.dmalib.dma.ops.internal.direct.Chunks;
import org.dmalib.dma.ops.internal.iommu.BounceUnavailableException;
import org.dmalib.dma.ops.internal.iommu.IommuDmaOps;
import org.dmalib.dma.ops.internal.iommu.IommuMapped;
import org.dmalib.dma.ops.internal.iova.IovaExhaustedException;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;

/**
 * The IOMMU half of {@link DmaDevice}'s one dispatch point: calls dma-iommu's internal ops and
 * turns their failures into the API's typed exceptions. Everything here runs outside the
 * device's registry lock.
 *
 * <p>Thread-safety: safe for concurrent use (the ops are).
 */
final class IommuPath {
    private final IommuDmaDomain domain;
    private final IommuDmaOps ops;
    private final DeviceParams params;

    IommuPath(IommuDmaDomain domain, DeviceParams params) {
        this.domain = domain;
        this.params = params;
        this.ops = new IommuDmaOps(domain.dma(), domain.memory().pool(), params.dmaMask(),
                params.coherent(), params.flushMode() == FlushMode.LAZY, params.untrusted(),
                params.minAlignMask());
    }

    IommuDmaDomain domain() {
        return domain;
    }

    /**
     * Maps a single buffer or a list; nothing stays mapped or allocated when it throws. A single
     * buffer, and each entry of an untrusted device's list (mapped one by one, as {@code
     * iommu_dma_map_page}), goes through {@code __iommu_dma_map}, which refuses a device whose
     * {@link DeviceParams#minAlignMask()} is wider than the granule's offset bits: the IOVA
     * allocator cannot keep address bits above the granule.
     */
    IommuMapped map(Cpu cpu, MappingKind kind, Chunks chunks, DmaDirection dir) {
        long granuleMask = domain.granule() - 1;
        if ((kind == MappingKind.SINGLE || params.untrusted()) && params.minAlignMask() > granuleMask) {
            throw new DmaMappingException(String.format("Unsupported alignment constraint:"
                    + " minAlignMask=0x%x is wider than the IOVA granule's offset mask 0x%x"
                    + " (dma-iommu's __iommu_dma_map refuses every single mapping of the device%s)",
                    params.minAlignMask(), granuleMask,
                    params.untrusted() ? ", and each entry of an untrusted device's list" : ""));
        }
        try {
            return kind == MappingKind.SINGLE
                    ? ops.mapSingle(cpu, chunks.get(0), dir)
                    : ops.mapSg(cpu, chunks, dir, params.segmentBoundaryMask(), params.maxSegmentSize());
        } catch (BounceUnavailableException e) {
            throw e.exhausted()
                    ? new BouncePoolExhaustedException(e.getMessage())
                    : new DmaMappingException(e.getMessage(), e);
        } catch (IovaExhaustedException e) {
            throw new IovaSpaceExhaustedException(String.format(
                    "no IOVA range of size=0x%x granules below dmaMask=0x%x: %s",
                    e.size(), params.dmaMask(), e.getMessage()), e);
        } catch (RuntimeException e) {
            throw new IommuMappingException(String.format(
                    "the IOMMU domain failed to map %s of %d segment(s) from paddr=0x%x: %s",
                    kind, chunks.count(), chunks.phys(0), e), e);
        }
    }

    /** Maps a coherent allocation's pages; nothing stays mapped or allocated when it throws. */
    IommuMapped mapCoherent(Cpu cpu, long paddr, long size) {
        try {
            return ops.mapCoherent(cpu, paddr, size);
        } catch (IovaExhaustedException e) {
            throw new IovaSpaceExhaustedException(String.format(
                    "no IOVA range for a coherent allocation of size=0x%x below dmaMask=0x%x",
                    size, params.dmaMask()), e);
        } catch (RuntimeException e) {
            throw new IommuMappingException(String.format(
                    "the IOMMU domain failed to map a coherent allocation of size=0x%x at paddr=0x%x: %s",
                    size, paddr, e), e);
        }
    }

    /**
     * Undoes a map the device was never told of ({@link IommuDmaOps#undo}): strict, even for a
     * lazy device, with no cache maintenance.
     */
    void undo(Cpu cpu, IommuMapped mapped) {
        ops.undo(cpu, mapped);
    }

    /** Unmaps the IOMMU side of a mapping (the caller did the CPU's cache maintenance). */
    void unmap(Cpu cpu, IommuMapped mapped) {
        ops.unmap(cpu, mapped);
    }
}

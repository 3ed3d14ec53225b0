package org.dmalib.dma.ops.internal.iommu;

import java.util.List;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.DirectOps;
import org.dmalib.dma.ops.internal.iova.DeviceIova;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.IommuProt;

/**
 * One device's DMA ops over an IOMMU domain (dma-iommu's {@code iommu_dma_map_page},
 * {@code iommu_dma_unmap_page}; reference §2.8).
 *
 * <p>Map: CPU cache maintenance for the device first (the same steps as dma-direct, so bounce
 * copies and the one barrier are shared), then one IOVA range, then the page tables; no TLB
 * invalidation. Unmap (after the caller's maintenance for the CPU): page-table unmap with the
 * leaf invalidations gathered, one sync, then the IOVA is freed.
 *
 * <p>Preconditions, not checked here: the public API validated the arguments (ranges inside
 * memory, direction not NONE, CPU of the machine).
 *
 * <p>Thread-safety: safe for concurrent use; distinct mappings never share an IOVA range.
 */
public final class IommuDmaOps {
    private final IommuDma dma;
    private final DeviceIova policy;
    private final boolean coherent;
    private final boolean lazy;

    /**
     * Creates the ops of one device.
     *
     * @param dma the DMA side of the device's domain
     * @param dmaMask the device's DMA mask (the IOVA limit, clamped to the aperture)
     * @param coherent whether the device snoops CPU caches
     * @param lazy whether unmaps go through the domain's flush queue (else strict)
     */
    public IommuDmaOps(IommuDma dma, long dmaMask, boolean coherent, boolean lazy) {
        this.dma = dma;
        // a platform device behind an SMMU: no bus limit, no PCI 32-bit-first workaround
        this.policy = new DeviceIova(dmaMask, 0, false);
        this.coherent = coherent;
        this.lazy = lazy;
    }

    /** Returns the DMA side of the device's domain. */
    public IommuDma dma() {
        return dma;
    }

    /**
     * {@code iommu_dma_map_page} of one chunk: bounce copy-in and clean (non-coherent), then an
     * IOVA range covering the chunk's granules, mapped with {@code dma_info_to_prot}. The DMA
     * address keeps the chunk's offset within the granule.
     *
     * @param cpu the CPU running the call
     * @param chunk what the device reaches (its bounce buffer if bounced)
     * @param dir the direction
     * @return the IOMMU side of the mapping
     * @throws org.dmalib.dma.ops.internal.iova.IovaExhaustedException if no IOVA range fits below
     *     the device's limit (nothing stays allocated)
     * @throws RuntimeException whatever the domain's map throws (page-table memory, ...); the
     *     IOVA is freed and nothing stays mapped
     */
    public IommuMapped mapSingle(Cpu cpu, Chunk chunk, DmaDirection dir) {
        DirectOps.map(cpu, List.of(chunk), dir, coherent);
        return mapRange(cpu, chunk.devicePhys(), chunk.size(), IommuProt.forDma(dir, coherent));
    }

    /** {@code __iommu_dma_map}: the granules around {@code [phys, phys + size)}, offset kept. */
    private IommuMapped mapRange(Cpu cpu, long phys, long size, IommuProt prot) {
        long granule = dma.granule();
        long off = phys & (granule - 1);
        long length = alignUp(size + off, granule);
        long iova = policy.allocIova(dma.iovas(), cpu.id(), length);
        try {
            dma.domain().map(iova, phys - off, length, prot);
        } catch (RuntimeException e) {
            // Linux's __iommu_dma_map: a failed map frees its IOVA at once, never queued
            policy.freeIova(dma.iovas(), cpu.id(), iova, length);
            throw e;
        }
        return new IommuMapped(iova, length, List.of(new DmaSegment(iova + off, size)));
    }

    /**
     * {@code iommu_dma_map_sg} (reference §2.4, §2.5): clean every segment with one barrier, one
     * IOVA range for the whole list (boundary padding appended to the previous segment), the
     * physically contiguous runs mapped together (the core picks the largest page sizes), then
     * the DMA segments merged by {@code __finalise_sg}.
     *
     * @param cpu the CPU running the call
     * @param chunks the input segments, in order, at least one
     * @param dir the direction
     * @param boundaryMask the device's segment boundary mask
     * @param maxSegmentSize the device's largest DMA segment
     * @return the IOMMU side of the mapping; its DMA segments are {@code dma_map_sg}'s result
     * @throws org.dmalib.dma.ops.internal.iova.IovaExhaustedException if no IOVA range fits
     * @throws RuntimeException whatever the domain's map throws; what was mapped is unmapped
     *     (with a sync) and the IOVA freed, so nothing stays mapped or allocated
     */
    public IommuMapped mapSg(Cpu cpu, List<Chunk> chunks, DmaDirection dir, long boundaryMask,
            long maxSegmentSize) {
        DirectOps.map(cpu, chunks, dir, coherent);
        SgLayout layout = SgLayout.of(chunks, dma.granule(), boundaryMask);
        long length = layout.iovaLength();
        long iova = policy.allocIova(dma.iovas(), cpu.id(), length);
        try {
            mapRuns(iova, layout, IommuProt.forDma(dir, coherent));
        } catch (RuntimeException e) {
            // free_iova: immediate, never queued; then the caller's list is as it was
            policy.freeIova(dma.iovas(), cpu.id(), iova, length);
            throw e;
        }
        return new IommuMapped(iova, length, layout.finalise(iova, boundaryMask, maxSegmentSize));
    }

    /**
     * {@code iommu_map_sg}: maps physically contiguous runs of spans with one domain map each;
     * on failure unmaps (with a sync) what it mapped and rethrows.
     */
    private void mapRuns(long iova, SgLayout layout, IommuProt prot) {
        long mapped = 0;
        try {
            long start = layout.spanStart(0);
            long len = layout.span(0);
            for (int i = 1; i < layout.size(); i++) {
                if (layout.spanStart(i) == start + len) {
                    len += layout.span(i);
                    continue;
                }
                dma.domain().map(iova + mapped, start, len, prot);
                mapped += len;
                start = layout.spanStart(i);
                len = layout.span(i);
            }
            dma.domain().map(iova + mapped, start, len, prot);
        } catch (RuntimeException e) {
            if (mapped > 0) {
                // iommu_map_sg's undo is iommu_unmap: gathered and synced before returning
                dma.unmapStrict(iova, mapped);
            }
            throw e;
        }
    }

    /**
     * The IOMMU half of {@code iommu_dma_alloc}: maps pages the caller allocated and prepared
     * ({@code arch_dma_prep_coherent} for a non-coherent device) read-write, plus CACHE for a
     * coherent device, at a fresh IOVA range.
     *
     * @param cpu the CPU running the call
     * @param paddr the pages' first byte, granule aligned
     * @param size bytes, a multiple of the granule
     * @return the IOMMU side of the allocation
     * @throws org.dmalib.dma.ops.internal.iova.IovaExhaustedException if no IOVA range fits
     * @throws RuntimeException whatever the domain's map throws; the IOVA is freed
     */
    public IommuMapped mapCoherent(Cpu cpu, long paddr, long size) {
        return mapRange(cpu, paddr, size, IommuProt.forDma(DmaDirection.BIDIRECTIONAL, coherent));
    }

    /**
     * {@code __iommu_dma_unmap}: unmaps the whole IOVA range. Strict: the leaf invalidations
     * gathered, one sync, the IOVA freed. Lazy: no leaf invalidation, the range queued on the
     * domain's flush queue, which frees it after a later whole-domain flush. The caller did the
     * CPU's cache maintenance first.
     *
     * @param cpu the CPU running the call
     * @param mapped what a map of this device returned, not unmapped yet
     * @throws IllegalStateException if the page tables held less than the range (a driver or
     *     model bug; Linux WARNs); the IOVA is freed (or queued) all the same
     */
    public void unmap(Cpu cpu, IommuMapped mapped) {
        long unmapped;
        if (lazy) {
            unmapped = dma.unmapLazy(cpu.id(), mapped.iova(), mapped.iovaLength());
        } else {
            unmapped = dma.unmapStrict(mapped.iova(), mapped.iovaLength());
            policy.freeIova(dma.iovas(), cpu.id(), mapped.iova(), mapped.iovaLength());
        }
        if (unmapped != mapped.iovaLength()) {
            throw new IllegalStateException(String.format(
                    "unmap of iova=0x%x size=0x%x removed only 0x%x bytes",
                    mapped.iova(), mapped.iovaLength(), unmapped));
        }
    }

    static long alignUp(long value, long granule) {
        return (value + granule - 1) & -granule;
    }
}

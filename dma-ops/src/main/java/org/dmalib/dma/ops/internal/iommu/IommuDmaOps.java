package org.dmalib.dma.ops.internal.iommu;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.dma.ops.internal.bounce.BouncePool;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.Chunks;
import org.dmalib.dma.ops.internal.direct.DirectOps;
import org.dmalib.dma.ops.internal.iommu.IommuMapped.Piece;
import org.dmalib.dma.ops.internal.iova.DeviceIova;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.IommuProt;

/**
 * One device's DMA ops over an IOMMU domain (dma-iommu's {@code iommu_dma_map_page},
 * {@code iommu_dma_map_sg}, {@code iommu_dma_unmap_*}; reference §2.4 to §2.10).
 *
 * <p>Map: CPU cache maintenance for the device first (the same steps as dma-direct, so bounce
 * copies and the one barrier are shared), then IOVA, then the page tables; no TLB invalidation.
 * Unmap (after the caller's maintenance for the CPU): page-table unmap, then strict (gathered
 * invalidations, one sync, IOVA freed) or lazy (queued on the domain's flush queue).
 *
 * <p>Untrusted devices (§2.10): a buffer whose address or size is not granule aligned is
 * bounced into a granule-aligned run of the bounce pool, at the start of its first granule or,
 * for a device with a {@code min_align_mask}, at the original's offset bits under the mask
 * ({@code swiotlb_align_offset}), and the rest of that run (before and after the buffer) is
 * zeroed, so the device can reach no
 * byte outside the buffer; a scatterlist is mapped segment by segment that way (one IOVA range
 * per segment, no merging). Untrusted devices are always strict (the caller passes
 * {@code lazy = false}).
 *
 * <p>Preconditions, not checked here: the public API validated the arguments (ranges inside
 * memory, direction not NONE, CPU of the machine).
 *
 * <p>Thread-safety: safe for concurrent use; distinct mappings never share an IOVA range.
 */
public final class IommuDmaOps {
    private final IommuDma dma;
    private final DeviceIova policy;
    private final BouncePool pool;
    private final boolean coherent;
    private final boolean lazy;
    private final boolean untrusted;
    private final long minAlignMask;

    /**
     * Creates the ops of one device.
     *
     * @param dma the DMA side of the device's domain
     * @param pool the bounce pool (used for untrusted devices only)
     * @param dmaMask the device's DMA mask (the IOVA limit, clamped to the aperture)
     * @param coherent whether the device snoops CPU caches
     * @param lazy whether unmaps go through the domain's flush queue (else strict)
     * @param untrusted whether sub-granule buffers are bounced with zeroed padding
     * @param minAlignMask the device's {@code min_align_mask}, 0 or {@code 2^n - 1}: a bounce
     *     buffer keeps the address bits under it that lie in the granule's offset (the caller
     *     refuses a wider mask for the single mappings and untrusted lists that bounce)
     */
    public IommuDmaOps(IommuDma dma, BouncePool pool, long dmaMask, boolean coherent, boolean lazy,
            boolean untrusted, long minAlignMask) {
        this.dma = dma;
        this.pool = pool;
        // a platform device behind an SMMU: no bus limit, no PCI 32-bit-first workaround
        this.policy = new DeviceIova(dmaMask, 0, false);
        this.coherent = coherent;
        this.lazy = lazy && !untrusted;
        this.untrusted = untrusted;
        this.minAlignMask = minAlignMask;
    }

    /**
     * {@code iommu_dma_map_page} of one chunk: bounce (untrusted, unaligned only), copy-in and
     * clean (non-coherent), then an IOVA range covering the chunk's granules mapped with
     * {@code dma_info_to_prot}. The DMA address keeps the offset within the granule of the
     * buffer mapped: the chunk's own, or the bounce buffer's.
     *
     * @param cpu the CPU running the call
     * @param chunk the buffer, not bounced
     * @param dir the direction
     * @return the IOMMU side of the mapping
     * @throws org.dmalib.dma.ops.internal.iova.IovaExhaustedException if no IOVA range fits
     *     below the device's limit
     * @throws BounceUnavailableException if an untrusted device's buffer cannot be bounced (not
     *     {@linkplain BounceUnavailableException#exhausted() exhausted} when no release could
     *     make room: no pool, or one too small for it)
     * @throws RuntimeException whatever the domain's map throws (page-table memory, ...); in
     *     every case the IOVA and the bounce run are freed and nothing stays mapped
     */
    public IommuMapped mapSingle(Cpu cpu, Chunk chunk, DmaDirection dir) {
        return mapOne(cpu, chunk, dir);
    }

    /**
     * {@code iommu_dma_map_sg} (reference §2.4, §2.5): clean every segment with one barrier, one
     * IOVA range for the whole list (boundary padding appended to the previous segment), the
     * physically contiguous runs mapped together (the core picks the largest page sizes), then
     * the DMA segments merged by {@code __finalise_sg}. An untrusted device's list goes segment
     * by segment ({@code iommu_dma_map_sg_swiotlb}): count = nents.
     *
     * @param cpu the CPU running the call
     * @param chunks the input segments, in order, at least one, not bounced
     * @param dir the direction
     * @param boundaryMask the device's segment boundary mask
     * @param maxSegmentSize the device's largest DMA segment
     * @return the IOMMU side of the mapping; its DMA segments are {@code dma_map_sg}'s result
     * @throws org.dmalib.dma.ops.internal.iova.IovaExhaustedException if no IOVA range fits
     * @throws BounceUnavailableException if an untrusted device's segment cannot be bounced
     * @throws RuntimeException whatever the domain's map throws; what was mapped is unmapped
     *     (with a sync), IOVA and bounce runs freed: nothing stays mapped or allocated
     */
    public IommuMapped mapSg(Cpu cpu, Chunks chunks, DmaDirection dir, long boundaryMask,
            long maxSegmentSize) {
        if (untrusted) {
            return mapSgOneByOne(cpu, chunks, dir);
        }
        // the clean and the layout (with __finalise_sg's merges) in one pass over the list
        SgLayoutBuilder builder = new SgLayoutBuilder(chunks.count(), dma.granule(), boundaryMask,
                maxSegmentSize);
        DirectOps.map(cpu, chunks, dir, coherent, builder);
        SgLayout layout = builder.build(chunks);
        long length = layout.iovaLength();
        long iova = policy.allocIova(dma.iovas(), cpu.id(), length);
        try {
            mapRuns(iova, layout, IommuProt.forDma(dir, coherent));
        } catch (RuntimeException e) {
            // free_iova: immediate, never queued; then the caller's list is as it was
            policy.freeIova(dma.iovas(), cpu.id(), iova, length);
            throw e;
        }
        return new IommuMapped(List.of(new Piece(iova, length, IommuMapped.NO_BOUNCE, 0)), chunks,
                layout.segments(iova));
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
        Chunk chunk = new Chunk(paddr, Chunk.NOT_BOUNCED, size);
        Piece p = mapRange(cpu, paddr, size, IommuProt.forDma(DmaDirection.BIDIRECTIONAL, coherent),
                IommuMapped.NO_BOUNCE, 0);
        return new IommuMapped(List.of(p), Chunks.of(chunk), List.of(segment(p, paddr, size)));
    }

    /**
     * {@code __iommu_dma_unmap} for every IOVA range of the mapping. Strict: the leaf
     * invalidations gathered, one sync per range, the IOVA freed. Lazy: no leaf invalidation,
     * the range queued on the domain's flush queue, which frees it after a later whole-domain
     * flush. Then bounce runs are released. The caller did the CPU's cache maintenance (and
     * bounce copy-out) first.
     *
     * @param cpu the CPU running the call
     * @param mapped what a map of this device returned, not unmapped yet
     * @throws IllegalStateException if the page tables held less than a range (a driver or
     *     model bug; Linux WARNs); everything is freed (or queued) all the same
     */
    public void unmap(Cpu cpu, IommuMapped mapped) {
        IllegalStateException shortUnmap = null;
        for (Piece p : mapped.pieces()) {
            long unmapped = unmapPiece(cpu, p);
            if (unmapped != p.iovaLength() && shortUnmap == null) {
                shortUnmap = new IllegalStateException(String.format(
                        "unmap of iova=0x%x size=0x%x removed only 0x%x bytes",
                        p.iova(), p.iovaLength(), unmapped));
            }
        }
        if (shortUnmap != null) {
            throw shortUnmap;
        }
    }

    private long unmapPiece(Cpu cpu, Piece p) {
        long unmapped;
        if (lazy) {
            unmapped = dma.unmapLazy(cpu.id(), p.iova(), p.iovaLength());
        } else {
            unmapped = dma.unmapStrict(p.iova(), p.iovaLength());
            policy.freeIova(dma.iovas(), cpu.id(), p.iova(), p.iovaLength());
        }
        if (p.bounceSlot() != IommuMapped.NO_BOUNCE) {
            // swiotlb_tbl_unmap_single after the IOVA is gone (strict: invalidated)
            pool.release(p.bounceSlot(), p.bounceSpan());
        }
        return unmapped;
    }

    /** One buffer: bounced (untrusted and unaligned) or not, with its own IOVA range. */
    private IommuMapped mapOne(Cpu cpu, Chunk chunk, DmaDirection dir) {
        long granule = dma.granule();
        IommuProt prot = IommuProt.forDma(dir, coherent);
        if (!untrusted || ((chunk.phys() | chunk.size()) & (granule - 1)) == 0) {
            Chunks one = Chunks.of(chunk);
            DirectOps.map(cpu, one, dir, coherent);
            Piece p = mapRange(cpu, chunk.phys(), chunk.size(), prot, IommuMapped.NO_BOUNCE, 0);
            return new IommuMapped(List.of(p), one, List.of(segment(p, chunk.phys(), chunk.size())));
        }
        if (pool.size() == 0) {
            // is_swiotlb_active() is false: no later call can bounce it either, so no exhaustion
            throw new BounceUnavailableException(false, String.format(
                    "DMA bounce buffers are inactive, unable to map unaligned transaction:"
                    + " untrusted buffer paddr=0x%x size=%d (there is no bounce pool)",
                    chunk.phys(), chunk.size()));
        }
        // swiotlb_align_offset(dev, iova_mask, phys): the bounce buffer keeps only the bits the
        // device's min_align_mask asks for (none by default: it starts its granule), in a
        // granule-aligned run of slots
        long off = chunk.phys() & minAlignMask & (granule - 1);
        long span = alignUp(off + chunk.size(), granule);
        if (span > BouncePool.maxMappingSize()) {
            throw new BounceUnavailableException(false, String.format(
                    "untrusted buffer paddr=0x%x size=%d spans 0x%x bytes of granules, more than "
                    + "the largest bounce buffer of %d", chunk.phys(), chunk.size(), span,
                    BouncePool.maxMappingSize()));
        }
        // the IOMMU reaches any physical address: no limit; alloc_align_mask = iova_mask
        long slot = pool.reserveAligned(span, -1L, granule);
        if (slot < 0 && !pool.couldEverReserve(span, -1L, granule)) {
            // no unmap can free a run for it: the pool is too small, not full
            throw new BounceUnavailableException(false, String.format(
                    "untrusted buffer paddr=0x%x size=%d spans 0x%x bytes of granules, more than the"
                    + " bounce pool (size=%d) holds in one aligned run even when empty",
                    chunk.phys(), chunk.size(), span, pool.size()));
        }
        if (slot < 0) {
            throw new BounceUnavailableException(true, String.format(
                    "bounce pool is full for an untrusted buffer of size=%d (span 0x%x, slots=%d, used=%d)",
                    chunk.size(), span, pool.slotCount(), pool.slotsInUse()));
        }
        try {
            Chunk bounced = new Chunk(chunk.phys(), slot + off, chunk.size());
            // zero the padding around the buffer in its granules; the map's barrier completes it
            DirectOps.zeroForDeviceNoSync(cpu, slot, off, coherent);
            long end = off + chunk.size();
            DirectOps.zeroForDeviceNoSync(cpu, slot + end, span - end, coherent);
            Chunks one = Chunks.of(bounced);
            DirectOps.map(cpu, one, dir, coherent);
            Piece p = mapRange(cpu, slot + off, chunk.size(), prot, slot, span);
            return new IommuMapped(List.of(p), one, List.of(segment(p, slot + off, chunk.size())));
        } catch (RuntimeException e) {
            pool.release(slot, span);
            throw e;
        }
    }

    /** {@code iommu_dma_map_sg_swiotlb}: each segment on its own; undo all on a failure. */
    private IommuMapped mapSgOneByOne(Cpu cpu, Chunks chunks, DmaDirection dir) {
        int n = chunks.count();
        List<Piece> pieces = new ArrayList<>(n);
        List<Chunk> cpuSide = new ArrayList<>(n);
        List<DmaSegment> segments = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                IommuMapped one = mapOne(cpu, chunks.get(i), dir);
                pieces.addAll(one.pieces());
                cpuSide.addAll(one.chunks().asList());
                segments.addAll(one.dmaSegments());
            }
        } catch (RuntimeException e) {
            // Linux unmaps entries 0..i-1 with DMA_ATTR_SKIP_CPU_SYNC: no copy-out, no maintenance
            undo(cpu, pieces);
            throw e;
        }
        return new IommuMapped(pieces, Chunks.of(cpuSide), segments);
    }

    /**
     * Undoes a map whose addresses no device was given (a check after the map refused it):
     * every IOVA range unmapped with a sync and freed at once, strict even for a lazy device
     * (nothing to wait for), bounce runs released, no cache maintenance or copy-out.
     *
     * @param cpu the CPU running the call
     * @param mapped what a map of this device returned, not unmapped yet
     */
    public void undo(Cpu cpu, IommuMapped mapped) {
        undo(cpu, mapped.pieces());
    }

    private void undo(Cpu cpu, List<Piece> pieces) {
        for (Piece p : pieces) {
            dma.unmapStrict(p.iova(), p.iovaLength());
            policy.freeIova(dma.iovas(), cpu.id(), p.iova(), p.iovaLength());
            if (p.bounceSlot() != IommuMapped.NO_BOUNCE) {
                pool.release(p.bounceSlot(), p.bounceSpan());
            }
        }
    }

    /** {@code __iommu_dma_map}: the granules around {@code [phys, phys + size)}. */
    private Piece mapRange(Cpu cpu, long phys, long size, IommuProt prot, long bounceSlot,
            long bounceSpan) {
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
        return new Piece(iova, length, bounceSlot, bounceSpan);
    }

    /** The DMA segment of a piece mapping {@code [phys, phys + size)}: its offset is kept. */
    private DmaSegment segment(Piece p, long phys, long size) {
        return new DmaSegment(p.iova() + (phys & (dma.granule() - 1)), size);
    }

    /**
     * {@code iommu_map_sg}: the physically contiguous runs of spans (merged by the layout) mapped
     * in one {@link org.dmalib.iommu.api.IommuDomain#mapRuns} call (the driver walks the list);
     * on failure the domain has unmapped (with a sync) what it mapped, and the exception is
     * rethrown.
     */
    private void mapRuns(long iova, SgLayout layout, IommuProt prot) {
        dma.domain().mapRuns(iova, layout.runStarts(), layout.runLengths(), layout.runCount(), prot);
    }

    static long alignUp(long value, long granule) {
        return (value + granule - 1) & -granule;
    }
}

package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.DirectOps;
import org.dmalib.dma.ops.internal.iommu.IommuMapped;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.Segment;

/**
 * A live streaming DMA mapping (single buffer or scatterlist) of one {@link DmaDevice}: the
 * long-lived form, for mappings kept in descriptor rings or other data structures. It must be
 * unmapped exactly once, with {@link #unmap(Cpu)} (or {@link DmaDevice#unmapSingle}); one
 * still mapped when its device is {@linkplain DmaDevice#detach() detached} is reported as a
 * leak. For a mapping that lives inside one method, use {@link ScopedDmaMapping}.
 *
 * <p>Between map and unmap the buffer belongs to the device: the CPU may touch it only after
 * {@link #syncForCpu} and must give it back with {@link #syncForDevice} before the device
 * touches it again (Linux's ownership rules, {@code Documentation/core-api/dma-api-howto.rst}).
 *
 * <p>On the direct path a scatterlist maps 1:1: DMA segment {@code i} is input segment
 * {@code i} (or its bounce buffer), never merged. Over an IOMMU a scatterlist gets one IOVA
 * range and its DMA segments are merged ({@code __finalise_sg}); {@link #inputSegments()} keeps
 * the caller's segments, which syncs work on (per input segment, as Linux).
 *
 * <p>Thread-safety: safe for concurrent use, and {@link #unmap} succeeds exactly once even when
 * raced; a sync that races with the unmap of the same mapping is a driver bug the API does not
 * order (as in Linux).
 */
public final class DmaMapping implements Tracked {
    private final DmaDevice device;
    private final MappingKind kind;
    private final DmaDirection direction;
    // the CPU side: input segments (or their bounce buffers), what syncs maintain
    private final List<Chunk> chunks;
    // the IOMMU side, or null on the direct path
    private final IommuMapped iommu;
    private final List<DmaSegment> segments;
    private final long size;
    private final AtomicBoolean mapped = new AtomicBoolean(true);

    DmaMapping(DmaDevice device, MappingKind kind, DmaDirection direction, List<Chunk> chunks,
            IommuMapped iommu) {
        this.device = device;
        this.kind = kind;
        this.direction = direction;
        this.chunks = List.copyOf(chunks);
        this.iommu = iommu;
        if (iommu != null) {
            this.segments = iommu.dmaSegments();
        } else {
            List<DmaSegment> out = new ArrayList<>(this.chunks.size());
            for (Chunk c : this.chunks) {
                out.add(new DmaSegment(c.devicePhys(), c.size()));
            }
            this.segments = List.copyOf(out);
        }
        long total = 0;
        for (Chunk c : this.chunks) {
            total += c.size();
        }
        this.size = total;
    }

    /** Returns the DMA address of the first byte: what the device is told for a single mapping. */
    public long dmaAddress() {
        return segments.get(0).dmaAddress();
    }

    /** Returns the bytes mapped (the sum of the DMA segments' lengths). */
    public long size() {
        return size;
    }

    /** Returns the direction the mapping was made with. */
    public DmaDirection direction() {
        return direction;
    }

    /** Returns which call made the mapping. */
    public MappingKind kind() {
        return kind;
    }

    /**
     * Returns the DMA segments, in order: one for a single mapping; for a list {@code nents} on
     * the direct path, the merged ones over an IOMMU.
     */
    public List<DmaSegment> dmaSegments() {
        return segments;
    }

    /** Returns the number of DMA segments ({@code dma_map_sg}'s return value). */
    public int dmaCount() {
        return segments.size();
    }

    /**
     * Returns the input segments as the caller gave them (a single mapping's buffer as one
     * segment): what syncs and unmap maintain, and what Linux restores into the list.
     */
    public List<Segment> inputSegments() {
        List<Segment> out = new ArrayList<>(chunks.size());
        for (Chunk c : chunks) {
            out.add(Segment.ofPhysical(c.phys(), (int) c.size()));
        }
        return List.copyOf(out);
    }

    /** Returns whether the device reaches the mapping through an IOMMU domain. */
    public boolean isIommu() {
        return iommu != null;
    }

    /**
     * Returns the IOVA ranges the mapping holds: one for a single buffer or a list (one per
     * segment for an untrusted device's list), none on the direct path. The DMA segments lie
     * inside them; {@code dmaSegments().get(0).dmaAddress() - iovaRanges().get(0).iova()} is the
     * first segment's offset within its granule.
     */
    public List<IovaRange> iovaRanges() {
        if (iommu == null) {
            return List.of();
        }
        List<IovaRange> out = new ArrayList<>(iommu.pieces().size());
        for (IommuMapped.Piece p : iommu.pieces()) {
            out.add(new IovaRange(p.iova(), p.iovaLength()));
        }
        return List.copyOf(out);
    }

    /** Returns whether any part of the mapping goes through a bounce buffer. */
    public boolean isBounced() {
        for (Chunk c : chunks) {
            if (c.bounced()) {
                return true;
            }
        }
        return false;
    }

    /** Returns whether the mapping is still mapped. */
    public boolean isMapped() {
        return mapped.get();
    }

    /**
     * Gives the whole mapping to the CPU ({@code dma_sync_single/sg_for_cpu}): invalidate
     * (not for TO_DEVICE, not for a coherent device), then bounce copy-out if the device writes.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @throws DmaUsageException if {@code cpu} is bad or the mapping is unmapped
     */
    public void syncForCpu(Cpu cpu) {
        syncForCpu(cpu, 0, size);
    }

    /**
     * Gives bytes {@code [offset, offset + length)} of the mapping (counted across the segments
     * in order) to the CPU ({@code dma_sync_single_range_for_cpu}).
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param offset bytes from the start of the mapping, not negative
     * @param length bytes, positive, with {@code offset + length <= size()}
     * @throws DmaUsageException naming the bad value if the range is outside the mapping, the
     *     CPU is bad or the mapping is unmapped
     */
    public void syncForCpu(Cpu cpu, long offset, long length) {
        List<Chunk> part = checkSync(cpu, offset, length);
        DirectOps.syncForCpu(cpu, part, direction, device.isCoherent());
    }

    /**
     * Gives the whole mapping back to the device ({@code dma_sync_single/sg_for_device}):
     * bounce copy-in if the device reads, then clean (not for a coherent device).
     *
     * @param cpu the CPU running the call, of the device's machine
     * @throws DmaUsageException if {@code cpu} is bad or the mapping is unmapped
     */
    public void syncForDevice(Cpu cpu) {
        syncForDevice(cpu, 0, size);
    }

    /**
     * Gives bytes {@code [offset, offset + length)} of the mapping back to the device
     * ({@code dma_sync_single_range_for_device}).
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param offset bytes from the start of the mapping, not negative
     * @param length bytes, positive, with {@code offset + length <= size()}
     * @throws DmaUsageException naming the bad value if the range is outside the mapping, the
     *     CPU is bad or the mapping is unmapped
     */
    public void syncForDevice(Cpu cpu, long offset, long length) {
        List<Chunk> part = checkSync(cpu, offset, length);
        DirectOps.syncForDevice(cpu, part, direction, device.isCoherent());
    }

    /**
     * Unmaps ({@code dma_unmap_single/sg}): the buffer goes back to the CPU as by
     * {@link #syncForCpu(Cpu)}; over an IOMMU the page tables are unmapped with the leaf
     * invalidations gathered and synced once, then the IOVA is freed; then bounce buffers are
     * released. Exactly once per mapping.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @throws DmaUsageException if {@code cpu} is bad or the mapping was unmapped already
     */
    public void unmap(Cpu cpu) {
        device.checkCpu(cpu);
        if (!mapped.compareAndSet(true, false)) {
            throw new DmaUsageException(String.format(
                    "dmaAddress=0x%x size=%d is unmapped already (unmap twice)", dmaAddress(), size));
        }
        DirectOps.syncForCpu(cpu, chunks, direction, device.isCoherent());
        if (iommu != null) {
            // unmaps the IOVA ranges, then releases the bounce runs they covered
            device.unmapIommu(cpu, iommu);
        } else {
            for (Chunk c : chunks) {
                if (c.bounced()) {
                    device.memory().pool().release(c.bounce(), c.size());
                }
            }
        }
        device.untrack(this);
    }

    @Override
    public PendingMapping describe() {
        return new PendingMapping(dmaAddress(), size, direction, kind, segments.size());
    }

    @Override
    public String toString() {
        return describe().toString();
    }

    private List<Chunk> checkSync(Cpu cpu, long offset, long length) {
        device.checkCpu(cpu);
        if (offset < 0 || length <= 0 || offset > size - length) {
            throw new DmaUsageException(String.format(
                    "offset=%d length=%d is outside the mapping dmaAddress=0x%x size=%d",
                    offset, length, dmaAddress(), size));
        }
        if (!mapped.get()) {
            throw new DmaUsageException(String.format(
                    "dmaAddress=0x%x size=%d is not mapped (sync after unmap)", dmaAddress(), size));
        }
        List<Chunk> part = new ArrayList<>();
        long pos = 0;
        for (Chunk c : chunks) {
            long from = Math.max(offset, pos);
            long to = Math.min(offset + length, pos + c.size());
            if (from < to) {
                part.add(c.slice(from - pos, to - from));
            }
            pos += c.size();
        }
        return part;
    }
}

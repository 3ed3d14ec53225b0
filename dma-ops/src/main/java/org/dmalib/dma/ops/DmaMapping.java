package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.Chunks;
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
    // the longest segment inputSegments() gives a single buffer in: the most whole pages a
    // Segment's int length holds (2^31 - 4096), so each later piece keeps the first's page offset
    private static final int MAX_INPUT_SEGMENT = Integer.MAX_VALUE & -Segment.PAGE_SIZE;

    private final DmaDevice device;
    private final MappingKind kind;
    private final DmaDirection direction;
    // the CPU side: input segments (or their bounce buffers), what syncs maintain
    private final Chunks chunks;
    // the IOMMU side, or null on the direct path
    private final IommuMapped iommu;
    private final List<DmaSegment> segments;
    private final long size;
    private final AtomicBoolean mapped = new AtomicBoolean(true);
    // what debugging knows of it (the empty record when the device's checks are off)
    private final DebugInfo info;
    // null when checks are off: who owns which bytes
    private final Ownership ownership;
    // whether DmaDevice.mappingError was called for it (only mapPage's mappings need it)
    private volatile boolean errorChecked;

    /**
     * What the device's debugging recorded when the mapping was made.
     *
     * @param inputCount the entry count the map call was given
     * @param mappedAt the driver's frames that made it
     * @param lines the cache lines registered as device-writable starts (removed at unmap)
     * @param mustCheckError whether the map returned a bare address the driver must check
     *     ({@link DmaDevice#mapPage})
     * @param ranges the driver's ranges (unbounced chunks), for ownership; empty when checks are off
     */
    record DebugInfo(int inputCount, List<StackTraceElement> mappedAt, List<Long> lines,
            boolean mustCheckError, List<Chunk> ranges) {}

    DmaMapping(DmaDevice device, MappingKind kind, DmaDirection direction, Chunks chunks,
            IommuMapped iommu, DebugInfo info) {
        this.device = device;
        this.kind = kind;
        this.direction = direction;
        this.chunks = chunks;
        this.iommu = iommu;
        this.info = info;
        this.ownership = info.ranges().isEmpty() ? null : new Ownership(this, info.ranges());
        long total = 0;
        if (iommu != null) {
            this.segments = iommu.dmaSegments();
            // each chunk's bytes are in exactly one (merged) DMA segment: the same sum as the
            // chunks', over the few segments instead of every input segment
            for (DmaSegment s : segments) {
                total += s.dmaLength();
            }
        } else {
            List<DmaSegment> out = new ArrayList<>(chunks.count());
            for (int i = 0; i < chunks.count(); i++) {
                out.add(new DmaSegment(chunks.devicePhys(i), chunks.size(i)));
                total += chunks.size(i);
            }
            this.segments = List.copyOf(out);
        }
        this.size = total;
    }

    /** Returns the DMA address of the first byte: what the device is told for a single mapping. */
    @Override
    public long dmaAddress() {
        return segments.get(0).dmaAddress();
    }

    /** {@return the bytes mapped (the sum of the DMA segments' lengths)} */
    public long size() {
        return size;
    }

    /** Returns the direction the mapping was made with. */
    @Override
    public DmaDirection direction() {
        return direction;
    }

    /** Returns which call made the mapping. */
    @Override
    public MappingKind kind() {
        return kind;
    }

    /**
     * {@return the DMA segments, in order: one for a single mapping; for a list {@code nents} on
     * the direct path, the merged ones over an IOMMU}
     */
    public List<DmaSegment> dmaSegments() {
        return segments;
    }

    /** {@return the number of DMA segments ({@code dma_map_sg}'s return value)} */
    public int dmaCount() {
        return segments.size();
    }

    /**
     * {@return the input segments as the caller gave them (a single mapping's buffer as one
     * segment, or, when it is longer than a segment's int length holds, as consecutive segments
     * of {@code 2^31 - 4096} bytes and a last one for the rest): what syncs and unmap
     * maintain, and what Linux restores into the list}
     */
    public List<Segment> inputSegments() {
        List<Segment> out = new ArrayList<>(chunks.count());
        for (int i = 0; i < chunks.count(); i++) {
            long phys = chunks.phys(i);
            // a list's segments fit an int; only a single buffer of 2 GiB or more is split
            for (long left = chunks.size(i); left > 0; ) {
                int n = (int) Math.min(left, MAX_INPUT_SEGMENT);
                out.add(Segment.ofPhysical(phys, n));
                phys += n;
                left -= n;
            }
        }
        return List.copyOf(out);
    }

    /** {@return whether the device reaches the mapping through an IOMMU domain} */
    public boolean isIommu() {
        return iommu != null;
    }

    /**
     * {@return the IOVA ranges the mapping holds: one for a single buffer or a list (one per
     * segment for an untrusted device's list), none on the direct path} The DMA segments lie
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

    /** {@return whether any part of the mapping goes through a bounce buffer} */
    public boolean isBounced() {
        return chunks.anyBounced();
    }

    /** {@return whether the mapping is still mapped} */
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
        device.checkCpu(cpu);
        syncForCpuAs(cpu, offset, length, direction);
    }

    /** Syncs for the CPU with the maintenance of {@code dir} (the driver's, for address-based syncs). */
    void syncForCpuAs(Cpu cpu, long offset, long length, DmaDirection dir) {
        List<Chunk> part = checkSync(offset, length);
        DirectOps.syncForCpu(cpu, part, dir, device.isCoherent());
        if (ownership != null) {
            device.memory().debug().giveToCpu(ownership, offset, length);
        }
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
        device.checkCpu(cpu);
        syncForDeviceAs(cpu, offset, length, direction);
    }

    /** Syncs for the device with the maintenance of {@code dir} (the driver's, for address-based syncs). */
    void syncForDeviceAs(Cpu cpu, long offset, long length, DmaDirection dir) {
        List<Chunk> part = checkSync(offset, length);
        if (ownership != null) {
            device.memory().debug().giveToDevice(ownership, offset, length);
        }
        DirectOps.syncForDevice(cpu, part, dir, device.isCoherent());
    }

    /**
     * Unmaps ({@code dma_unmap_single/sg}): the buffer goes back to the CPU as by
     * {@link #syncForCpu(Cpu)}; over an IOMMU the page tables are unmapped with the leaf
     * invalidations gathered and synced once, then the IOVA is freed; then bounce buffers are
     * released. Exactly once per mapping.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @throws DmaUsageException if {@code cpu} is bad or the mapping was unmapped already
     *     ({@link DebugCheck#FREE_NOT_ALLOCATED}, in every debug mode)
     * @throws DmaDebugException if it came from {@link DmaDevice#mapPage} and its result was
     *     never checked ({@link DebugCheck#MAP_ERROR_NOT_CHECKED}, THROW mode)
     */
    public void unmap(Cpu cpu) {
        device.checkCpu(cpu);
        unmapAs(cpu, direction);
    }

    /** Unmaps with the cache maintenance of {@code dir}; throws if it was unmapped already. */
    void unmapAs(Cpu cpu, DmaDirection dir) {
        if (!mapped.get()) {
            throw unmappedAlready();
        }
        checkErrorChecked();
        // of two racing unmaps exactly one wins; the other is told, and nothing is undone twice
        if (!claim()) {
            throw unmappedAlready();
        }
        release(cpu, dir);
    }

    /**
     * Claims the mapping's one unmap: of racing claims exactly one is told {@code true}. The
     * claim unregisters it at once ({@link DeviceState#claimUnmap}), as its addresses may be
     * handed out again before the unmap returns; the winner must then {@link #release} it.
     *
     * @return whether this call claimed it ({@code false}: unmapped, or being unmapped, already)
     */
    boolean claim() {
        return mapped.get() && device.claimUnmap(this);
    }

    /**
     * Reports {@link DebugCheck#MAP_ERROR_NOT_CHECKED} if the mapping came from {@link
     * DmaDevice#mapPage} and its result was never checked (throws in THROW mode).
     */
    void checkErrorChecked() {
        if (info.mustCheckError() && !errorChecked) {
            debug().report(DebugCheck.MAP_ERROR_NOT_CHECKED, this, String.format(
                    "[device address=0x%x] [size=%d bytes] [mapped as %s]", dmaAddress(), size, kind));
        }
    }

    /**
     * Undoes a {@linkplain #claim() claimed} mapping with the cache maintenance of {@code dir}
     * (the driver's, for address-based unmaps): the CPU's side, the IOMMU's or the bounce
     * buffers, then the debug bookkeeping.
     */
    void release(Cpu cpu, DmaDirection dir) {
        DirectOps.syncForCpu(cpu, chunks, dir, device.isCoherent());
        try {
            if (iommu != null) {
                // unmaps the IOVA ranges, then releases the bounce runs they covered
                device.unmapIommu(cpu, iommu);
            } else {
                for (int i = 0; i < chunks.count(); i++) {
                    if (chunks.bounced(i)) {
                        DirectPath.release(device.memory().pool(), device.params(),
                                chunks.bounce(i), chunks.size(i));
                    }
                }
            }
        } finally {
            // gone for the driver even when the IOMMU reports a short unmap (its IOVAs are
            // freed all the same): no ownership or cache-line claim may outlive it (the pending
            // entry went with the claim)
            DebugState state = device.memory().debug();
            if (ownership != null) {
                state.unregister(ownership);
            }
            if (!info.lines().isEmpty()) {
                // only mappings made with debug checks on claimed cache lines; skip the state's lock
                state.removeLines(info.lines());
            }
        }
    }

    private DmaUsageException unmappedAlready() {
        return debug().refuse(DebugCheck.FREE_NOT_ALLOCATED, this, String.format(
                "[device address=0x%x] [size=%d bytes] (dmaAddress=0x%x is unmapped already: unmap twice)",
                dmaAddress(), size, dmaAddress()));
    }

    /** Returns the entry count the map call was given: 1 for a single buffer, {@code nents} for a list. */
    @Override
    public int inputCount() {
        return info.inputCount();
    }

    /**
     * Returns the driver's frames that made the mapping (up to five, innermost first), as
     * debug reports show them; empty when the device's debug checks are off.
     */
    @Override
    public List<StackTraceElement> mappedAt() {
        return info.mappedAt();
    }

    /**
     * Returns the lowest DMA address of the mapping's segments: {@link #dmaAddress()} unless the
     * DMA segments do not ascend (a direct mapping of a list keeps the list's order, so its
     * first segment may lie above a later one).
     */
    @Override
    public long dmaLow() {
        long low = Long.MAX_VALUE;
        for (DmaSegment s : segments) {
            low = Math.min(low, s.dmaAddress());
        }
        return low;
    }

    /**
     * Returns the bytes from {@link #dmaLow()} to the end of the highest DMA segment: the span
     * the device's segments reach, holes included.
     */
    @Override
    public long dmaExtent() {
        long low = Long.MAX_VALUE;
        long end = 0;
        for (DmaSegment s : segments) { // one pass for both ends: the registry asks on every map
            low = Math.min(low, s.dmaAddress());
            end = Math.max(end, s.dmaAddress() + s.dmaLength());
        }
        return end - low;
    }

    /**
     * Returns whether {@code dmaAddress} lies inside one of the DMA segments.
     *
     * @param dmaAddress any address
     * @return whether the device reaches a mapped byte there
     */
    @Override
    public boolean contains(long dmaAddress) {
        for (DmaSegment s : segments) {
            if (dmaAddress - s.dmaAddress() >= 0 && dmaAddress - s.dmaAddress() < s.dmaLength()) {
                return true;
            }
        }
        return false;
    }

    /** Returns the device whose driver made the mapping. */
    DeviceDebug debug() {
        return device.debug();
    }

    Ownership ownership() {
        return ownership;
    }

    /**
     * Flips the mapping to unmapped, under the device's lock ({@link DeviceState#claimUnmap}).
     *
     * @return whether this call flipped it (false: it was unmapped already)
     */
    boolean markUnmapped() {
        return mapped.compareAndSet(true, false);
    }

    /** Records that the driver checked the map result ({@code dma_mapping_error}). */
    void markErrorChecked() {
        errorChecked = true;
    }

    boolean errorUnchecked() {
        return info.mustCheckError() && !errorChecked;
    }

    @Override
    public PendingMapping describe() {
        return new PendingMapping(dmaAddress(), size, direction, kind, segments.size());
    }

    @Override
    public String toString() {
        return describe().toString();
    }

    private List<Chunk> checkSync(long offset, long length) {
        // an unmapped mapping has no range to be outside of (dma-debug's check_sync finds no
        // entry before it looks at the size)
        if (!mapped.get()) {
            throw debug().refuse(DebugCheck.SYNC_NOT_ALLOCATED, this, String.format(
                    "[device address=0x%x] [size=%d bytes] (dmaAddress=0x%x is not mapped: sync after unmap)",
                    dmaAddress(), size, dmaAddress()));
        }
        if (offset < 0 || length <= 0 || offset > size - length) {
            throw debug().refuse(DebugCheck.SYNC_OUTSIDE_RANGE, this, String.format(
                    "[offset=%d length=%d is outside the mapping dmaAddress=0x%x size=%d]",
                    offset, length, dmaAddress(), size));
        }
        List<Chunk> part = new ArrayList<>();
        long pos = 0;
        for (int i = 0; i < chunks.count(); i++) {
            long size = chunks.size(i);
            long from = Math.max(offset, pos);
            long to = Math.min(offset + length, pos + size);
            if (from < to) {
                part.add(chunks.slice(i, from - pos, to - from));
            }
            pos += size;
        }
        return part;
    }
}

package org.dmalib.dma.ops;

import com.google.errorprone.annotations.MustBeClosed;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.dmalib.dma.ops.internal.bounce.BouncePool;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.DirectOps;
import org.dmalib.dma.ops.internal.iommu.IommuMapped;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.Machine;
import org.dmalib.hw.PhysicalAddressException;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;

/**
 * A device as its driver sees it through the DMA API. Which DMA ops it gets is chosen once, at
 * creation (Linux's per-device {@code dma_map_ops}, the one dispatch point): the direct
 * (no-IOMMU) path, DMA address = physical address, with bouncing through the allocator's
 * bounce pool for any buffer that reaches above the device's DMA mask; or dma-iommu, over an
 * {@link IommuDmaDomain} (reference §2): IOVA ranges mapped in the IOMMU's page tables.
 *
 * <p>Protocol:
 * <ol>
 *   <li>The composition root creates it with {@link #create} from the machine's
 *       {@link PageAllocator} and the device's {@link DeviceParams} (stream and coherency of the
 *       port it attached).
 *   <li>The driver maps buffers ({@code mapSingle*}, {@code mapSg*}), tells the device the DMA
 *       addresses, syncs and unmaps; or allocates coherent buffers.
 *   <li>{@link #detach()} ends the device's life and reports every mapping still pending.
 * </ol>
 *
 * <p>Cache maintenance, non-coherent devices only (arm64, reference §8): map and sync for the
 * device clean the range the device reaches, every direction; unmap and sync for the CPU
 * invalidate it, except TO_DEVICE. One barrier per call, for a whole scatterlist too; no
 * barrier when nothing was maintained. Coherent devices get no maintenance.
 *
 * <p>Bouncing (swiotlb, reference §2.10): a buffer any byte of which lies above the DMA mask is
 * given a bounce buffer in the pool. Map copies the original into it (every direction, as
 * swiotlb does so that a partial device write cannot expose old pool contents), sync for the
 * device copies it in again for TO_DEVICE and BIDIRECTIONAL, unmap and sync for the CPU copy it
 * out for FROM_DEVICE and BIDIRECTIONAL. Copies go through the calling CPU's cache; the
 * maintenance applies to the bounce buffer (for the device: copy-in, then clean; for the CPU:
 * invalidate, then copy-out). The DMA address is the bounce buffer's.
 *
 * <p>Over an IOMMU: cache maintenance as above, then one IOVA range per call (a single buffer
 * keeps its offset within the granule; a scatterlist gets one range for the whole list, with
 * its DMA segments merged as Linux's {@code __finalise_sg} does) mapped without any TLB
 * invalidation; unmap gathers the leaf invalidations and syncs them once (strict mode), then
 * frees the IOVA. The device's DMA mask limits the IOVA, not the physical pages, so nothing is
 * bounced for the mask. Coherent allocations are mapped read-write through the IOMMU. An
 * {@linkplain DeviceParams#untrusted() untrusted} device's buffers that do not fill whole
 * granules are bounced, the rest of their granules zeroed (reference §2.10); its lists are
 * mapped segment by segment, unmerged. {@link FlushMode#LAZY Lazy} unmaps queue the IOVA on the
 * domain's flush queue instead of syncing.
 *
 * <p>Thread-safety: safe for concurrent use; mapping, unmapping and detaching are serialized on
 * the device's registry, cache maintenance, copies and IOMMU work run outside it.
 */
public final class DmaDevice {
    private final PageAllocator memory;
    private final DeviceParams params;
    // null on the direct path
    private final IommuPath iommu;
    private final Object lock = new Object();
    // guarded by lock; identity set (handles do not override equals), in mapping order
    private final Set<Tracked> live = new LinkedHashSet<>();
    private boolean detached;

    private DmaDevice(PageAllocator memory, DeviceParams params, IommuPath iommu) {
        this.memory = memory;
        this.params = params;
        this.iommu = iommu;
    }

    /**
     * Creates the driver-side handle of a device.
     *
     * @param memory the machine's page allocator (owner of the bounce pool)
     * @param params the device's stream, coherency, mask and segment limits
     * @return the device, attached
     * @throws DmaUsageException if an argument is null
     */
    public static DmaDevice create(PageAllocator memory, DeviceParams params) {
        return new DmaDevice(Checks.notNull(memory, "memory"), Checks.notNull(params, "params"), null);
    }

    /**
     * Creates the driver-side handle of a device behind an IOMMU: its DMA goes through
     * {@code domain}'s page tables (the stream must be attached to that domain by its IOMMU
     * driver).
     *
     * @param memory the machine's page allocator (owner of the bounce pool)
     * @param params the device's stream, coherency, mask and segment limits
     * @param domain the DMA side of the IOMMU domain the device's stream is attached to, created
     *     with the same allocator
     * @return the device, attached
     * @throws DmaUsageException if an argument is null or the domain has another allocator
     */
    public static DmaDevice create(PageAllocator memory, DeviceParams params, IommuDmaDomain domain) {
        Checks.notNull(memory, "memory");
        Checks.notNull(params, "params");
        Checks.notNull(domain, "domain");
        if (domain.memory() != memory) {
            throw new DmaUsageException("domain=" + domain + " was created with another allocator");
        }
        return new DmaDevice(memory, params, new IommuPath(domain, params));
    }

    /** Returns the IOMMU domain's DMA side, or empty on the direct path. */
    public Optional<IommuDmaDomain> iommuDomain() {
        return iommu == null ? Optional.empty() : Optional.of(iommu.domain());
    }

    /** Returns the parameters the device was created with. */
    public DeviceParams params() {
        return params;
    }

    /** Returns the device's stream ID. */
    public int streamId() {
        return params.streamId();
    }

    /** Returns whether the device is DMA-coherent (gets no cache maintenance). */
    public boolean isCoherent() {
        return params.coherent();
    }

    /** Returns the device's DMA mask. */
    public long dmaMask() {
        return params.dmaMask();
    }

    /** Returns the largest buffer that can be bounced: 256 KiB ({@code swiotlb_max_mapping_size}). */
    public long maxBounceSize() {
        return BouncePool.maxMappingSize();
    }

    /** Returns the allocator the device takes coherent memory and bounce buffers from. */
    public PageAllocator memory() {
        return memory;
    }

    // -- single mappings --

    /**
     * Maps a whole buffer for the device ({@code dma_map_single}); long-lived form.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param buffer the buffer, not freed, from the device's allocator
     * @param dir the direction, not NONE
     * @return the mapping; unmap it exactly once
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if it must be bounced and cannot be
     */
    public DmaMapping mapSingle(Cpu cpu, CpuBuffer buffer, DmaDirection dir) {
        checkBuffer(buffer);
        return mapSingle(cpu, buffer.paddr(), buffer.size(), dir);
    }

    /**
     * Maps {@code size} bytes at physical address {@code paddr} for the device
     * ({@code dma_map_page}/{@code dma_map_phys}); long-lived form.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param paddr the first byte, inside memory
     * @param size bytes, positive, the range inside memory
     * @param dir the direction, not NONE
     * @return the mapping; unmap it exactly once
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if it must be bounced and cannot be
     */
    public DmaMapping mapSingle(Cpu cpu, long paddr, long size, DmaDirection dir) {
        checkCpu(cpu);
        Checks.mappable(dir);
        checkRange(paddr, size, "paddr");
        return map(cpu, MappingKind.SINGLE, List.of(new long[] {paddr, size}), dir);
    }

    /**
     * Maps a whole buffer for the device, for try-with-resources.
     *
     * @param cpu the CPU running the call; {@code close()} unmaps on it
     * @param buffer the buffer, not freed, from the device's allocator
     * @param dir the direction, not NONE
     * @return the mapping, to be closed
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if it must be bounced and cannot be
     */
    @MustBeClosed
    public ScopedDmaMapping mapSingleScoped(Cpu cpu, CpuBuffer buffer, DmaDirection dir) {
        return new ScopedDmaMapping(mapSingle(cpu, buffer, dir), cpu);
    }

    /**
     * Maps {@code size} bytes at {@code paddr} for the device, for try-with-resources.
     *
     * @param cpu the CPU running the call; {@code close()} unmaps on it
     * @param paddr the first byte, inside memory
     * @param size bytes, positive
     * @param dir the direction, not NONE
     * @return the mapping, to be closed
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if it must be bounced and cannot be
     */
    @MustBeClosed
    public ScopedDmaMapping mapSingleScoped(Cpu cpu, long paddr, long size, DmaDirection dir) {
        return new ScopedDmaMapping(mapSingle(cpu, paddr, size, dir), cpu);
    }

    /**
     * Unmaps a single mapping by what the driver kept of it ({@code dma_unmap_single(dev,
     * dmaAddress, size, dir)}), for rings that store only addresses; checks them as dma-debug
     * does.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param dmaAddress the DMA address the map returned
     * @param size the size that was mapped
     * @param dir the direction that was mapped
     * @throws DmaUsageException naming the value if no single mapping has that address, or the
     *     size or direction differs from the mapping's
     */
    public void unmapSingle(Cpu cpu, long dmaAddress, long size, DmaDirection dir) {
        checkCpu(cpu);
        Checks.notNull(dir, "dir");
        DmaMapping found = null;
        DmaMapping near = null;
        synchronized (lock) {
            for (Tracked t : live) {
                if (t instanceof DmaMapping m && m.dmaAddress() == dmaAddress) {
                    if (m.kind() == MappingKind.SINGLE && m.size() == size && m.direction() == dir) {
                        found = m;
                        break;
                    }
                    near = near == null ? m : near;
                }
            }
        }
        if (found == null) {
            throw new DmaUsageException(DirectPath.mismatch(dmaAddress, size, dir, near));
        }
        found.unmap(cpu);
    }

    // -- scatterlists --

    /**
     * Maps a scatterlist for the device ({@code dma_map_sg}); long-lived form. On the direct
     * path DMA segment {@code i} is input segment {@code i} (or its bounce buffer): count =
     * nents, nothing merged. Cache maintenance is done per input segment with one barrier for
     * the list.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param list the segments, each inside memory, at most {@link DeviceParams#maxSegmentSize()}
     *     long, and (as the device reaches it) not crossing the segment boundary
     * @param dir the direction, not NONE
     * @return the mapping; unmap it exactly once
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if a segment must be bounced and cannot be
     */
    public DmaMapping mapSg(Cpu cpu, ScatterList list, DmaDirection dir) {
        checkCpu(cpu);
        Checks.notNull(list, "list");
        Checks.mappable(dir);
        List<long[]> ranges = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            Segment s = list.segment(i);
            checkRange(s.paddr(), s.length(), "segment[" + i + "].paddr");
            if (s.length() > params.maxSegmentSize()) {
                throw new DmaUsageException(String.format(
                        "segment[%d].length=%d is longer than maxSegmentSize=%d",
                        i, s.length(), params.maxSegmentSize()));
            }
            ranges.add(new long[] {s.paddr(), s.length()});
        }
        return map(cpu, MappingKind.SCATTER_GATHER, ranges, dir);
    }

    /**
     * Maps a scatterlist for the device, for try-with-resources; as {@link #mapSg}.
     *
     * @param cpu the CPU running the call; {@code close()} unmaps on it
     * @param list the segments
     * @param dir the direction, not NONE
     * @return the mapping, to be closed
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if a segment must be bounced and cannot be
     */
    @MustBeClosed
    public ScopedDmaMapping mapSgScoped(Cpu cpu, ScatterList list, DmaDirection dir) {
        return new ScopedDmaMapping(mapSg(cpu, list, dir), cpu);
    }

    // -- coherent allocations --

    /**
     * Allocates a zeroed coherent buffer below the DMA mask ({@code dma_alloc_coherent}). For
     * a non-coherent device its pages are cleaned and invalidated ({@code
     * arch_dma_prep_coherent}, one barrier) and then zeroed through the non-cacheable alias;
     * for a coherent one they are zeroed through {@code cpu}'s cache.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param size bytes, positive (whole pages are taken)
     * @return the buffer; free it exactly once
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if no free pages lie below the mask (direct path), or no IOVA
     *     range or page table can be had (over an IOMMU: the pages may lie anywhere, the IOVA is
     *     below the mask; {@link IovaSpaceExhaustedException}, {@link IommuMappingException})
     */
    public CoherentBuffer allocCoherent(Cpu cpu, int size) {
        checkCpu(cpu);
        Checks.positive(size, "size");
        if (iommu != null) {
            return allocCoherentIommu(cpu, size);
        }
        CoherentBuffer buffer;
        CpuBuffer pages;
        synchronized (lock) {
            checkAttached();
            pages = memory.allocateWithin(params.dmaMask(), size);
            buffer = new CoherentBuffer(this, pages, size, pages.paddr(), null, cpu);
            live.add(buffer);
        }
        prepareCoherent(cpu, pages, roundUpToPage(size));
        return buffer;
    }

    /** {@code iommu_dma_alloc}: any pages, prepared and zeroed, then mapped at an IOVA. */
    private CoherentBuffer allocCoherentIommu(Cpu cpu, int size) {
        CpuBuffer pages;
        synchronized (lock) {
            checkAttached();
            pages = memory.allocate(size);
        }
        long whole = roundUpToPage(size);
        prepareCoherent(cpu, pages, whole);
        IommuMapped mapped;
        try {
            mapped = iommu.mapCoherent(cpu, pages.paddr(), whole);
        } catch (RuntimeException e) {
            memory.free(pages);
            throw e;
        }
        CoherentBuffer buffer = new CoherentBuffer(
                this, pages, size, mapped.dmaSegments().get(0).dmaAddress(), mapped, cpu);
        synchronized (lock) {
            if (!detached) {
                live.add(buffer);
                return buffer;
            }
        }
        // detached while mapping: nothing may stay behind
        iommu.unmap(cpu, mapped);
        memory.free(pages);
        throw new DmaUsageException("device streamId=" + params.streamId() + " is detached");
    }

    // -- lifetime --

    /** Returns every mapping and coherent allocation still pending, in the order made. */
    public List<PendingMapping> pendingMappings() {
        synchronized (lock) {
            List<PendingMapping> out = new ArrayList<>(live.size());
            for (Tracked t : live) {
                out.add(t.describe());
            }
            return List.copyOf(out);
        }
    }

    /** Returns whether {@link #detach()} was called. */
    public boolean isDetached() {
        synchronized (lock) {
            return detached;
        }
    }

    /**
     * Detaches the device (driver unbind): no more mappings or allocations can be made. Pending
     * ones stay valid and can still be unmapped or freed, but are reported.
     *
     * @throws DmaLeakException listing every pending mapping, if there is any (the device is
     *     detached all the same)
     * @throws DmaUsageException if the device was detached already
     */
    public void detach() {
        List<PendingMapping> pending;
        synchronized (lock) {
            checkAttached();
            detached = true;
            pending = pendingMappings();
        }
        if (!pending.isEmpty()) {
            throw new DmaLeakException(params.streamId(), pending);
        }
    }

    // -- package-private helpers --

    void checkCpu(Cpu cpu) {
        Checks.notNull(cpu, "cpu");
        Machine machine = memory.machine();
        if (cpu.id() < 0 || cpu.id() >= machine.cpuCount() || !machine.cpu(cpu.id()).equals(cpu)) {
            throw new DmaUsageException("cpu=" + cpu.id() + " is not a CPU of the device's machine");
        }
    }

    void unmapIommu(Cpu cpu, IommuMapped mapped) {
        iommu.unmap(cpu, mapped);
    }

    void untrack(Tracked t) {
        synchronized (lock) {
            live.remove(t);
        }
    }

    @Override
    public String toString() {
        return "DmaDevice" + params;
    }

    private DmaMapping map(Cpu cpu, MappingKind kind, List<long[]> ranges, DmaDirection dir) {
        if (iommu != null) {
            return mapIommu(cpu, kind, ranges, dir);
        }
        BouncePool pool = memory.pool();
        List<Chunk> chunks = new ArrayList<>(ranges.size());
        DmaMapping mapping;
        synchronized (lock) {
            checkAttached();
            try {
                for (int i = 0; i < ranges.size(); i++) {
                    chunks.add(DirectPath.plan(pool, params, ranges.get(i)[0], ranges.get(i)[1], kind, i));
                }
            } catch (RuntimeException e) {
                // nothing may stay reserved when the mapping fails
                for (Chunk c : chunks) {
                    if (c.bounced()) {
                        pool.release(c.bounce(), c.size());
                    }
                }
                throw e;
            }
            mapping = new DmaMapping(this, kind, dir, chunks, null);
            live.add(mapping);
        }
        DirectOps.map(cpu, chunks, dir, isCoherent());
        return mapping;
    }

    private DmaMapping mapIommu(Cpu cpu, MappingKind kind, List<long[]> ranges, DmaDirection dir) {
        List<Chunk> chunks = new ArrayList<>(ranges.size());
        for (long[] r : ranges) {
            chunks.add(new Chunk(r[0], Chunk.NOT_BOUNCED, r[1]));
        }
        synchronized (lock) {
            checkAttached();
        }
        IommuMapped mapped = iommu.map(cpu, kind, chunks, dir);
        // the CPU side as mapped: an untrusted device's chunks may name bounce buffers
        DmaMapping mapping = new DmaMapping(this, kind, dir, mapped.chunks(), mapped);
        synchronized (lock) {
            if (!detached) {
                live.add(mapping);
                return mapping;
            }
        }
        // detached while mapping: nothing may stay behind
        iommu.unmap(cpu, mapped);
        throw new DmaUsageException("device streamId=" + params.streamId() + " is detached");
    }

    /** Zeroes {@code whole} bytes of fresh coherent pages as the device will see them. */
    private void prepareCoherent(Cpu cpu, CpuBuffer pages, long whole) {
        if (isCoherent()) {
            cpu.store(pages.paddr(), new byte[(int) whole], 0, (int) whole);
        } else {
            DirectOps.prepCoherent(cpu, pages.paddr(), whole);
            memory.machine().memory().fill(pages.paddr(), whole, (byte) 0);
        }
    }

    private void checkAttached() {
        if (detached) {
            throw new DmaUsageException("device streamId=" + params.streamId() + " is detached");
        }
    }

    private void checkBuffer(CpuBuffer buffer) {
        Checks.notNull(buffer, "buffer");
        if (buffer.allocator() != memory) {
            throw new DmaUsageException("buffer=" + buffer + " is not from the device's allocator");
        }
        buffer.checkLive();
    }

    private void checkRange(long paddr, long size, String name) {
        Checks.notNegative(paddr, name);
        Checks.positive(size, "size");
        try {
            memory.machine().memory().checkRange(paddr, size);
        } catch (PhysicalAddressException e) {
            throw new DmaUsageException(String.format(
                    "%s=0x%x size=%d is outside memory of size 0x%x",
                    name, paddr, size, memory.machine().memory().size()));
        }
    }

    private static int roundUpToPage(int size) {
        return (int) (((long) size + PageAllocator.PAGE_SIZE - 1) & -PageAllocator.PAGE_SIZE);
    }
}

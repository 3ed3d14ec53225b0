package org.dmalib.dma.ops;

import com.google.errorprone.annotations.MustBeClosed;
import java.util.List;
import java.util.Optional;
import org.dmalib.dma.ops.internal.bounce.BouncePool;
import org.dmalib.dma.ops.internal.iommu.IommuMapped;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;

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
 * granules are bounced, at the start of a granule (or at the offset bits its
 * {@linkplain DeviceParams#minAlignMask() min_align_mask} keeps), the rest of their granules
 * zeroed (reference §2.10); its lists are
 * mapped segment by segment, unmerged. {@link FlushMode#LAZY Lazy} unmaps queue the IOVA on the
 * domain's flush queue instead of syncing.
 *
 * <p>DMA-API debugging ({@code CONFIG_DMA_API_DEBUG}, reference §7), on unless {@link
 * DeviceParams#debug()} says {@link DebugMode#OFF}: every map, sync, unmap and free is checked
 * against the device's registry of live mappings and the machine's active cache lines, and a
 * driver's CPU access to a buffer the device owns is caught; each broken rule raises a {@link
 * DmaDebugReport} ({@link DebugCheck} lists them), thrown or recorded as the mode says. For
 * drivers that keep only addresses (descriptor rings), the address-based calls ({@link
 * #mapPage}, {@link #mappingError}, {@link #unmapSingle}, {@link #unmapSg}, {@link
 * #syncSingleForCpu} and the rest, {@link #freeCoherent}) find the mapping as dma-debug does
 * and check what the driver passed against it.
 *
 * <p>Thread-safety: safe for concurrent use; mapping, unmapping and detaching are serialized on
 * the device's registry, cache maintenance, copies and IOMMU work run outside it.
 */
public final class DmaDevice {
    /**
     * The DMA address {@link #mapPage} returns when it cannot map ({@code DMA_MAPPING_ERROR},
     * all ones); test results with {@link #mappingError}.
     */
    public static final long DMA_MAPPING_ERROR = -1L;

    private final PageAllocator memory;
    private final DeviceParams params;
    // null on the direct path
    private final IommuPath iommu;
    private final DeviceDebug debug;
    // the registry and the detached flag, under the device's lock
    private final DeviceState state;
    private final DeviceChecks checks;
    private final DeviceMapper mapper;
    private final AddressCalls byAddress;

    private DmaDevice(PageAllocator memory, DeviceParams params, IommuPath iommu) {
        this.memory = memory;
        this.params = params;
        this.iommu = iommu;
        this.debug = new DeviceDebug(params.streamId(), params.debug());
        this.state = new DeviceState(memory, params.streamId());
        this.checks = new DeviceChecks(memory);
        this.mapper = new DeviceMapper(this, memory, params, iommu, debug, state, checks);
        this.byAddress = new AddressCalls(debug, state, checks);
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

    /** {@return the IOMMU domain's DMA side, or empty on the direct path} */
    public Optional<IommuDmaDomain> iommuDomain() {
        return iommu == null ? Optional.empty() : Optional.of(iommu.domain());
    }

    /** {@return the parameters the device was created with} */
    public DeviceParams params() {
        return params;
    }

    /** {@return the device's stream ID} */
    public int streamId() {
        return params.streamId();
    }

    /** {@return whether the device is DMA-coherent (gets no cache maintenance)} */
    public boolean isCoherent() {
        return params.coherent();
    }

    /** {@return the device's DMA mask} */
    public long dmaMask() {
        return params.dmaMask();
    }

    /**
     * {@return the largest buffer that can be bounced ({@code swiotlb_max_mapping_size}): 256 KiB
     * less the device's {@linkplain DeviceParams#minAlignMask() minimum alignment mask} rounded
     * up to a 2 KiB slot (so 256 KiB with no mask, 252 KiB with NVMe's {@code 0xFFF})}
     */
    public long maxBounceSize() {
        return BouncePool.maxMappingSize(params.minAlignMask());
    }

    /** {@return the allocator the device takes coherent memory and bounce buffers from} */
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
     * @throws DmaMappingException if it must be bounced and cannot be, or over an IOMMU the
     *     device's {@link DeviceParams#minAlignMask()} is wider than the granule's offset bits
     */
    public DmaMapping mapSingle(Cpu cpu, CpuBuffer buffer, DmaDirection dir) {
        return mapper.mapSingle(cpu, buffer, dir);
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
     * @throws DmaMappingException if it must be bounced and cannot be, or over an IOMMU the
     *     device's {@link DeviceParams#minAlignMask()} is wider than the granule's offset bits
     */
    public DmaMapping mapSingle(Cpu cpu, long paddr, long size, DmaDirection dir) {
        return mapper.mapSingle(cpu, paddr, size, dir);
    }

    /**
     * Maps {@code size} bytes at {@code paddr} and returns only the DMA address, as Linux's
     * {@code dma_map_page} does: for drivers that keep addresses in their rings. The driver
     * must test the result with {@link #mappingError} before using it (an unmap of a mapping
     * whose result was never tested is reported: {@link DebugCheck#MAP_ERROR_NOT_CHECKED}), and
     * unmap it with {@link #unmapSingle}.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param paddr the first byte, inside memory
     * @param size bytes, positive, the range inside memory
     * @param dir the direction, not NONE
     * @return the DMA address, or {@link #DMA_MAPPING_ERROR} if the mapping cannot be made (no
     *     bounce buffer, IOVA space or page-table memory; nothing was changed)
     * @throws DmaUsageException naming the bad value
     * @throws DmaDebugException if a debug check fires (THROW mode)
     */
    public long mapPage(Cpu cpu, long paddr, long size, DmaDirection dir) {
        return mapper.mapPage(cpu, paddr, size, dir);
    }

    /**
     * Tests a DMA address {@link #mapPage} returned ({@code dma_mapping_error}), and records
     * for the debug checks that the driver did.
     *
     * @param dmaAddress what {@code mapPage} returned
     * @return whether it is {@link #DMA_MAPPING_ERROR}
     */
    public boolean mappingError(long dmaAddress) {
        return byAddress.mappingError(dmaAddress);
    }

    /**
     * Maps a whole buffer for the device, for try-with-resources.
     *
     * @param cpu the CPU running the call; {@code close()} unmaps on it
     * @param buffer the buffer, not freed, from the device's allocator
     * @param dir the direction, not NONE
     * @return the mapping, to be closed
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if it must be bounced and cannot be, or over an IOMMU the
     *     device's {@link DeviceParams#minAlignMask()} is wider than the granule's offset bits
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
     * @throws DmaMappingException if it must be bounced and cannot be, or over an IOMMU the
     *     device's {@link DeviceParams#minAlignMask()} is wider than the granule's offset bits
     */
    @MustBeClosed
    public ScopedDmaMapping mapSingleScoped(Cpu cpu, long paddr, long size, DmaDirection dir) {
        return new ScopedDmaMapping(mapSingle(cpu, paddr, size, dir), cpu);
    }

    /**
     * Unmaps a single mapping by what the driver kept of it ({@code dma_unmap_single(dev,
     * dmaAddress, size, dir)}), for rings that store only addresses. The mapping is found as
     * dma-debug finds it (the one at that address that agrees on everything, else the only one
     * there) and what the driver passed is checked against it; the cache maintenance is that
     * of {@code dir}.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param dmaAddress the DMA address the map returned
     * @param size the size that was mapped, not negative
     * @param dir the direction that was mapped
     * @throws DmaUsageException naming the value if {@code size} is negative, or no mapping can
     *     be found there ({@link DebugCheck#FREE_NOT_ALLOCATED}, {@link
     *     DebugCheck#FREE_INVALID_ADDRESS}) or it is a coherent allocation ({@link
     *     DebugCheck#FREE_WRONG_FUNCTION}), in every debug mode
     * @throws DmaDebugException if the size, kind or direction differs from the mapping's, or
     *     its map result was never checked (THROW mode; WARN unmaps the mapping found)
     */
    public void unmapSingle(Cpu cpu, long dmaAddress, long size, DmaDirection dir) {
        byAddress.unmapSingle(cpu, dmaAddress, size, dir);
    }

    /**
     * Unmaps a scatterlist mapping by what the driver kept of it ({@code dma_unmap_sg(dev, sg,
     * nents, dir)}): the first DMA address and the entry count it passed to the map. Checked
     * as {@link #unmapSingle}, the entry count too ({@link
     * DebugCheck#UNMAP_SG_DIFFERENT_ENTRY_COUNT}).
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param dmaAddress the first DMA segment's address
     * @param nents the entry count given to the map
     * @param dir the direction that was mapped
     * @throws DmaUsageException as for {@link #unmapSingle}
     * @throws DmaDebugException as for {@link #unmapSingle}
     */
    public void unmapSg(Cpu cpu, long dmaAddress, int nents, DmaDirection dir) {
        byAddress.unmapSg(cpu, dmaAddress, nents, dir);
    }

    /**
     * Gives {@code size} bytes at {@code dmaAddress} to the CPU ({@code
     * dma_sync_single_for_cpu}): the mapping holding that address is found and checked as
     * dma-debug does; the maintenance is that of {@code dir}.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param dmaAddress an address inside a live mapping's DMA segments
     * @param size bytes, positive
     * @param dir the direction the mapping was made with
     * @throws DmaUsageException if no mapping holds the address ({@link
     *     DebugCheck#SYNC_NOT_ALLOCATED}) or the range runs past it ({@link
     *     DebugCheck#SYNC_OUTSIDE_RANGE}), in every debug mode
     * @throws DmaDebugException if the direction breaks a rule (THROW mode)
     */
    public void syncSingleForCpu(Cpu cpu, long dmaAddress, long size, DmaDirection dir) {
        byAddress.syncSingle(cpu, dmaAddress, size, dir, true);
    }

    /**
     * Gives {@code size} bytes at {@code dmaAddress} back to the device ({@code
     * dma_sync_single_for_device}); found and checked as {@link #syncSingleForCpu}.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param dmaAddress an address inside a live mapping's DMA segments
     * @param size bytes, positive
     * @param dir the direction the mapping was made with
     * @throws DmaUsageException as for {@link #syncSingleForCpu}
     * @throws DmaDebugException as for {@link #syncSingleForCpu}
     */
    public void syncSingleForDevice(Cpu cpu, long dmaAddress, long size, DmaDirection dir) {
        byAddress.syncSingle(cpu, dmaAddress, size, dir, false);
    }

    /**
     * Gives a whole scatterlist mapping to the CPU ({@code dma_sync_sg_for_cpu(dev, sg, nents,
     * dir)}), found by its first DMA address; the entry count is checked ({@link
     * DebugCheck#SYNC_SG_DIFFERENT_ENTRY_COUNT}) and the direction as for {@link
     * #syncSingleForCpu}.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param dmaAddress the first DMA segment's address
     * @param nents the entry count given to the map
     * @param dir the direction the mapping was made with
     * @throws DmaUsageException if no mapping holds the address, in every debug mode
     * @throws DmaDebugException if the count or direction breaks a rule (THROW mode)
     */
    public void syncSgForCpu(Cpu cpu, long dmaAddress, int nents, DmaDirection dir) {
        byAddress.syncSg(cpu, dmaAddress, nents, dir, true);
    }

    /**
     * Gives a whole scatterlist mapping back to the device ({@code dma_sync_sg_for_device});
     * found and checked as {@link #syncSgForCpu}.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param dmaAddress the first DMA segment's address
     * @param nents the entry count given to the map
     * @param dir the direction the mapping was made with
     * @throws DmaUsageException as for {@link #syncSgForCpu}
     * @throws DmaDebugException as for {@link #syncSgForCpu}
     */
    public void syncSgForDevice(Cpu cpu, long dmaAddress, int nents, DmaDirection dir) {
        byAddress.syncSg(cpu, dmaAddress, nents, dir, false);
    }

    // -- scatterlists --

    /**
     * Maps a scatterlist for the device ({@code dma_map_sg}); long-lived form. On the direct
     * path DMA segment {@code i} is input segment {@code i} (or its bounce buffer): count =
     * nents, nothing merged. Cache maintenance is done per input segment with one barrier for
     * the list. Over an IOMMU the boundary is checked on the DMA segments as mapped (a span
     * longer than a boundary window crosses one whatever the padding); a list refused for it
     * is unmapped again before the call throws.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param list the segments, each inside memory, at most {@link DeviceParams#maxSegmentSize()}
     *     long ({@link DebugCheck#SG_SEGMENT_TOO_LONG}), and (as the device reaches it) not
     *     crossing the segment boundary ({@link DebugCheck#SG_SEGMENT_ACROSS_BOUNDARY})
     * @param dir the direction, not NONE
     * @return the mapping; unmap it exactly once
     * @throws DmaUsageException naming the bad value
     * @throws DmaDebugException if a debug check fires (THROW mode)
     * @throws DmaMappingException if a segment must be bounced and cannot be, or an untrusted
     *     device's {@link DeviceParams#minAlignMask()} is wider than an IOMMU granule's offset bits
     */
    public DmaMapping mapSg(Cpu cpu, ScatterList list, DmaDirection dir) {
        return mapper.mapSg(cpu, list, dir);
    }

    /**
     * Maps a scatterlist for the device, for try-with-resources; as {@link #mapSg}.
     *
     * @param cpu the CPU running the call; {@code close()} unmaps on it
     * @param list the segments
     * @param dir the direction, not NONE
     * @return the mapping, to be closed
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if a segment must be bounced and cannot be, or an untrusted
     *     device's {@link DeviceParams#minAlignMask()} is wider than an IOMMU granule's offset bits
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
     * for a coherent one they are zeroed through {@code cpu}'s cache. Over an IOMMU whose
     * granule is larger than a page, whole granules are taken, granule aligned (dma-iommu
     * allocates only the orders of the domain's page sizes), so the mapping reaches no other
     * buffer's bytes and the DMA address is granule aligned.
     *
     * @param cpu the CPU running the call, of the device's machine
     * @param size bytes, positive, at most {@code 2^31 - 4096} (whole pages are taken; over an
     *     IOMMU whole granules, so at most {@code 2^31} minus the granule)
     * @return the buffer; free it exactly once
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if no free pages lie below the mask (direct path), or no IOVA
     *     range or page table can be had (over an IOMMU: the pages may lie anywhere, the IOVA is
     *     below the mask; {@link IovaSpaceExhaustedException}, {@link IommuMappingException})
     */
    public CoherentBuffer allocCoherent(Cpu cpu, int size) {
        return mapper.allocCoherent(cpu, size);
    }

    /**
     * Frees a coherent allocation by what the driver kept of it ({@code dma_free_coherent(dev,
     * size, cpu_addr, dma_handle)}), checked as dma-debug does; then as {@link
     * CoherentBuffer#free()}.
     *
     * @param size the size that was allocated, not negative
     * @param cpuAddress the allocation's {@linkplain CoherentBuffer#cpuAddress() CPU address}
     * @param dmaAddress the allocation's DMA address
     * @throws DmaUsageException naming the value if {@code size} is negative, before any lookup
     *     (nothing is reported or freed); if no allocation can be found at {@code dmaAddress}
     *     ({@link DebugCheck#FREE_NOT_ALLOCATED}, {@link DebugCheck#FREE_INVALID_ADDRESS}) or it
     *     is a streaming mapping ({@link DebugCheck#FREE_WRONG_FUNCTION}); in every debug mode
     * @throws DmaDebugException if the size or CPU address differs (THROW mode; WARN frees the
     *     allocation found)
     */
    public void freeCoherent(long size, long cpuAddress, long dmaAddress) {
        byAddress.freeCoherent(size, cpuAddress, dmaAddress);
    }

    // -- lifetime and reports --

    /** {@return every mapping and coherent allocation still pending, in the order made} */
    public List<PendingMapping> pendingMappings() {
        return state.pending();
    }

    /**
     * {@return the debug reports this device raised, oldest first: every one in THROW and WARN
     * modes, up to the first {@value DeviceDebug#KEPT_REPORTS} (later ones are only counted)}
     */
    public List<DmaDebugReport> debugReports() {
        return debug.reports();
    }

    /** {@return how many debug reports this device raised, kept or not} */
    public long debugReportCount() {
        return debug.count();
    }

    /** {@return whether {@link #detach()} was called} */
    public boolean isDetached() {
        return state.isDetached();
    }

    /**
     * Detaches the device (driver unbind): no more mappings or allocations can be made. Pending
     * ones stay valid and can still be unmapped or freed, but are reported ({@link
     * DebugCheck#PENDING_AT_DETACH}): thrown in THROW mode, recorded in WARN mode, not at all
     * when debugging is off.
     *
     * @throws DmaLeakException listing every pending mapping and where it was made, if there is
     *     any and the mode is THROW (the device is detached all the same)
     * @throws DmaUsageException if the device was detached already
     */
    public void detach() {
        debug.reportLeaks(state.detach());
    }

    // -- package-private helpers --

    /** Checks that {@code cpu} is a CPU of the device's machine ({@link DeviceChecks#checkCpu}). */
    void checkCpu(Cpu cpu) {
        checks.checkCpu(cpu);
    }

    DeviceDebug debug() {
        return debug;
    }

    void unmapIommu(Cpu cpu, IommuMapped mapped) {
        iommu.unmap(cpu, mapped);
    }

    /** Claims a mapping's one unmap and unregisters it ({@link DeviceState#claimUnmap}). */
    boolean claimUnmap(DmaMapping mapping) {
        return state.claimUnmap(mapping);
    }

    /** Unregisters a freed coherent allocation ({@link DeviceState#remove}). */
    void untrack(Tracked t) {
        state.remove(t);
    }

    @Override
    public String toString() {
        return "DmaDevice" + params;
    }
}

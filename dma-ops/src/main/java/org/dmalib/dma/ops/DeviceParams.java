package org.dmalib.dma.ops;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;

/**
 * What the DMA API knows of a device (Linux's {@code struct device} DMA fields): its stream,
 * whether it is DMA-coherent ({@code dev->dma_coherent}), its DMA mask ({@code dma_mask}), the
 * largest DMA segment it takes ({@code dma_parms->max_segment_size}), the address boundary a
 * DMA segment may not cross ({@code dma_parms->segment_boundary_mask}) and the low address bits
 * a bounce buffer must keep ({@code dma_parms->min_align_mask}).
 *
 * <p>Start from {@link #of(DmaPort)} (Linux's defaults) and change fields with the
 * {@code with*} methods, as a driver's probe calls {@code dma_set_mask} and
 * {@code dma_set_max_seg_size}.
 *
 * <p>Only a device behind an IOMMU ({@link DmaDevice#create(PageAllocator, DeviceParams,
 * IommuDmaDomain)}) reads {@code flushMode} and {@code untrusted}; the direct path ignores them.
 *
 * <p>Immutable and thread-safe.
 *
 * @param streamId the stream the device's master issues on, not negative
 * @param coherent whether the device snoops CPU caches; no cache maintenance is done for it
 * @param dmaMask the highest bus address the device can reach: {@code 2^n - 1} for n from 12 to
 *     64 ({@link #bitMask(int)})
 * @param maxSegmentSize the largest DMA segment of a scatterlist, in bytes, positive
 * @param segmentBoundaryMask a DMA segment may not cross a multiple of {@code mask + 1}:
 *     {@code 2^n - 1} for n from 12 to 64
 * @param flushMode how unmaps over an IOMMU invalidate the IOTLB: {@link FlushMode#STRICT}
 *     (Linux's arm64 default) or {@link FlushMode#LAZY}; not null
 * @param untrusted whether the device may not see a byte it was not given (Linux's
 *     {@code pci_dev->untrusted}, external ports): over an IOMMU its buffers that do not fill
 *     whole granules are bounced with zeroed padding, and its unmaps are always strict
 * @param debug what the device's DMA-API debug checks do with a report: {@link DebugMode#THROW}
 *     (the default), {@link DebugMode#WARN} or {@link DebugMode#OFF}; not null
 * @param minAlignMask the low bits of a buffer's address its bounce buffer keeps ({@code
 *     dma_set_min_align_mask}, NVMe's {@code 0xFFF}): {@code 2^n - 1} for n from 0 (none, the
 *     default) to {@value #MAX_MIN_ALIGN_BITS}. On the direct path a bounce buffer's address then
 *     agrees with the buffer's under the mask ({@code swiotlb_tbl_map_single}), and the largest
 *     bounce buffer shrinks by the mask rounded up to a slot ({@code swiotlb_max_mapping_size}).
 *     Over an IOMMU a mask above the granule's offset bits makes every single mapping fail,
 *     and every list of an untrusted device (mapped entry by entry), as {@code __iommu_dma_map}
 *     refuses them ("Unsupported alignment constraint"); a trusted device's lists and coherent
 *     allocations are mapped. A mask within the granule is kept by the granule offset that
 *     every mapping over an IOMMU keeps, bounced or not
 */
public record DeviceParams(
        int streamId, boolean coherent, long dmaMask, int maxSegmentSize, long segmentBoundaryMask,
        FlushMode flushMode, boolean untrusted, DebugMode debug, long minAlignMask) {

    /**
     * The default DMA mask, 32 bits: Linux gives every platform device {@code
     * DMA_BIT_MASK(32)} until its driver calls {@code dma_set_mask}.
     */
    public static final long DEFAULT_DMA_MASK = 0xFFFF_FFFFL;

    /** The default largest DMA segment: 64 KiB ({@code dma_get_max_seg_size} without parms). */
    public static final int DEFAULT_MAX_SEGMENT_SIZE = 64 * 1024;

    /** The default segment boundary mask: all ones ({@code ULONG_MAX}), no boundary. */
    public static final long DEFAULT_SEGMENT_BOUNDARY_MASK = -1L;

    /**
     * The widest {@link #minAlignMask}, in bits: 16 (a 64 KiB - 1 mask). A wider mask would leave
     * swiotlb's largest bounce buffer (256 KiB less the mask rounded up to a slot) a half or
     * less, and Linux's {@code swiotlb_max_mapping_size} goes negative for masks from 256 KiB.
     */
    public static final int MAX_MIN_ALIGN_BITS = 16;

    // 4 KiB: a mask must at least cover one page (n >= 12 in 2^n - 1)
    private static final long MIN_MASK = 0xFFFL;

    /**
     * Validates the parameters.
     *
     * @param streamId the stream the device's master issues on, not negative
     * @param coherent whether the device snoops CPU caches (it then gets no cache maintenance)
     * @param dmaMask the highest bus address the device can reach: {@code 2^n - 1} for n from 12
     *     to 64
     * @param maxSegmentSize the largest DMA segment of a scatterlist, in bytes, positive
     * @param segmentBoundaryMask the mask of the address boundary a DMA segment may not cross:
     *     {@code 2^n - 1} for n from 12 to 64
     * @param flushMode how unmaps over an IOMMU invalidate the IOTLB, not null
     * @param untrusted whether the device is untrusted (bounced and strict over an IOMMU)
     * @param debug what the device's DMA-API debug checks do with a report, not null
     * @param minAlignMask the low address bits a bounce buffer keeps: {@code 2^n - 1} for n from
     *     0 to {@value #MAX_MIN_ALIGN_BITS}
     * @throws DmaUsageException naming the bad value
     */
    public DeviceParams {
        Checks.notNegative(streamId, "streamId");
        checkMask(dmaMask, "dmaMask");
        Checks.positive(maxSegmentSize, "maxSegmentSize");
        checkMask(segmentBoundaryMask, "segmentBoundaryMask");
        Checks.notNull(flushMode, "flushMode");
        Checks.notNull(debug, "debug");
        // 2^n - 1 (0 included) whose n is at most MAX_MIN_ALIGN_BITS
        if ((minAlignMask & (minAlignMask + 1)) != 0 || minAlignMask < 0
                || minAlignMask >>> MAX_MIN_ALIGN_BITS != 0) {
            throw new DmaUsageException(String.format(
                    "minAlignMask=0x%x must be 2^n - 1 with n from 0 to %d", minAlignMask,
                    MAX_MIN_ALIGN_BITS));
        }
    }

    /**
     * Validates the parameters of a device with no {@link #minAlignMask} (0).
     *
     * @param streamId the stream the device's master issues on, not negative
     * @param coherent whether the device snoops CPU caches (it then gets no cache maintenance)
     * @param dmaMask the highest bus address the device can reach: {@code 2^n - 1} for n from 12
     *     to 64
     * @param maxSegmentSize the largest DMA segment of a scatterlist, in bytes, positive
     * @param segmentBoundaryMask the mask of the address boundary a DMA segment may not cross:
     *     {@code 2^n - 1} for n from 12 to 64
     * @param flushMode how unmaps over an IOMMU invalidate the IOTLB, not null
     * @param untrusted whether the device is untrusted (bounced and strict over an IOMMU)
     * @param debug what the device's DMA-API debug checks do with a report, not null
     * @throws DmaUsageException naming the bad value
     */
    public DeviceParams(int streamId, boolean coherent, long dmaMask, int maxSegmentSize,
            long segmentBoundaryMask, FlushMode flushMode, boolean untrusted, DebugMode debug) {
        this(streamId, coherent, dmaMask, maxSegmentSize, segmentBoundaryMask, flushMode, untrusted,
                debug, 0);
    }

    /**
     * Returns Linux's defaults for the device behind {@code port}: its stream, coherent if the
     * stream is attached {@link Coherency#COHERENT}, a {@link #DEFAULT_DMA_MASK 32-bit mask},
     * {@link #DEFAULT_MAX_SEGMENT_SIZE 64 KiB} segments and {@link
     * #DEFAULT_SEGMENT_BOUNDARY_MASK no boundary}, {@link FlushMode#STRICT strict} unmaps,
     * trusted, with the debug checks on ({@link DebugMode#THROW}), no {@link #minAlignMask}.
     *
     * @param port the device's DMA port (only its stream ID and coherency are read)
     * @return the parameters
     * @throws DmaUsageException if {@code port} is null
     */
    public static DeviceParams of(DmaPort port) {
        Checks.notNull(port, "port");
        return new DeviceParams(port.streamId(), port.coherency() == Coherency.COHERENT,
                DEFAULT_DMA_MASK, DEFAULT_MAX_SEGMENT_SIZE, DEFAULT_SEGMENT_BOUNDARY_MASK,
                FlushMode.STRICT, false, DebugMode.THROW, 0);
    }

    /**
     * {@code DMA_BIT_MASK(bits)}: the mask of a device that drives {@code bits} address lines.
     *
     * @param bits from 12 to 64
     * @return {@code 2^bits - 1}
     * @throws DmaUsageException if {@code bits} is out of range
     */
    public static long bitMask(int bits) {
        // 12: the mask must cover at least one 4 KiB page; 64: all address bits
        if (bits < 12 || bits > 64) {
            throw new DmaUsageException("bits=" + bits + " must be from 12 to 64");
        }
        return bits == 64 ? -1L : (1L << bits) - 1;
    }

    /**
     * Returns these parameters with another DMA mask ({@code dma_set_mask}).
     *
     * @param mask as for the record component
     * @return the new parameters
     */
    public DeviceParams withDmaMask(long mask) {
        return new DeviceParams(streamId, coherent, mask, maxSegmentSize, segmentBoundaryMask,
                flushMode, untrusted, debug, minAlignMask);
    }

    /**
     * Returns these parameters with another coherence, overriding the port's attachment.
     *
     * @param isCoherent whether the device is DMA-coherent
     * @return the new parameters
     */
    public DeviceParams withCoherent(boolean isCoherent) {
        return new DeviceParams(streamId, isCoherent, dmaMask, maxSegmentSize, segmentBoundaryMask,
                flushMode, untrusted, debug, minAlignMask);
    }

    /**
     * Returns these parameters with another largest segment ({@code dma_set_max_seg_size}).
     *
     * @param size bytes, positive
     * @return the new parameters
     */
    public DeviceParams withMaxSegmentSize(int size) {
        return new DeviceParams(streamId, coherent, dmaMask, size, segmentBoundaryMask, flushMode,
                untrusted, debug, minAlignMask);
    }

    /**
     * Returns these parameters with another segment boundary ({@code dma_set_seg_boundary}).
     *
     * @param mask as for the record component
     * @return the new parameters
     */
    public DeviceParams withSegmentBoundaryMask(long mask) {
        return new DeviceParams(streamId, coherent, dmaMask, maxSegmentSize, mask, flushMode,
                untrusted, debug, minAlignMask);
    }

    /**
     * Returns these parameters with another flush mode (Linux's {@code iommu.strict=0/1}, here
     * per device).
     *
     * @param mode strict or lazy, not null
     * @return the new parameters
     * @throws DmaUsageException if {@code mode} is null
     */
    public DeviceParams withFlushMode(FlushMode mode) {
        return new DeviceParams(streamId, coherent, dmaMask, maxSegmentSize, segmentBoundaryMask, mode,
                untrusted, debug, minAlignMask);
    }

    /**
     * Returns these parameters with the device trusted or not (an untrusted device is bounced
     * and strict over an IOMMU).
     *
     * @param isUntrusted whether the device is untrusted
     * @return the new parameters
     */
    public DeviceParams withUntrusted(boolean isUntrusted) {
        return new DeviceParams(streamId, coherent, dmaMask, maxSegmentSize, segmentBoundaryMask,
                flushMode, isUntrusted, debug, minAlignMask);
    }

    /**
     * Returns these parameters with another debug mode ({@code dma_debug=off} or a driver
     * filter, here per device).
     *
     * @param mode what the debug checks do with a report, not null
     * @return the new parameters
     * @throws DmaUsageException if {@code mode} is null
     */
    public DeviceParams withDebug(DebugMode mode) {
        return new DeviceParams(streamId, coherent, dmaMask, maxSegmentSize, segmentBoundaryMask,
                flushMode, untrusted, mode, minAlignMask);
    }

    /**
     * Returns these parameters with another minimum alignment mask ({@code
     * dma_set_min_align_mask}).
     *
     * @param mask as for the record component
     * @return the new parameters
     * @throws DmaUsageException naming the mask if it is not {@code 2^n - 1} with n from 0 to
     *     {@value #MAX_MIN_ALIGN_BITS}
     */
    public DeviceParams withMinAlignMask(long mask) {
        return new DeviceParams(streamId, coherent, dmaMask, maxSegmentSize, segmentBoundaryMask,
                flushMode, untrusted, debug, mask);
    }

    private static void checkMask(long mask, String name) {
        // 2^n - 1: all ones below some bit, so mask + 1 is a power of two (or 0 for all ones)
        if ((mask & (mask + 1)) != 0 || Long.compareUnsigned(mask, MIN_MASK) < 0) {
            throw new DmaUsageException(String.format(
                    "%s=0x%x must be 2^n - 1 with n from 12 to 64", name, mask));
        }
    }
}

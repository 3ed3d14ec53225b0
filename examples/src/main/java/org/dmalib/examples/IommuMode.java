package org.dmalib.examples;

/**
 * How a scenario connects its device to memory: straight (DMA address = physical address), or
 * behind an SMMUv3 with strict or lazy unmaps ({@link org.dmalib.dma.ops.FlushMode}, set per
 * device with {@link org.dmalib.dma.ops.DeviceParams#withFlushMode}).
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum IommuMode {
    /** No IOMMU: the direct path, bouncing above the DMA mask. */
    DIRECT,
    /** Behind an SMMUv3; every unmap invalidates the IOTLB and syncs before it returns. */
    STRICT,
    /** Behind an SMMUv3; unmaps wait in the domain's flush queue for a whole-domain flush. */
    LAZY
}

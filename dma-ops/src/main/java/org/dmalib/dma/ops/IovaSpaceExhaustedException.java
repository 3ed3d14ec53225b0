package org.dmalib.dma.ops;

/**
 * A mapping over an IOMMU needed an IOVA range and none fits below the device's DMA mask and in
 * the domain's aperture (Linux's {@code iommu_dma_alloc_iova} returning 0, {@code -ENOMEM}).
 * Nothing was mapped and no IOVA is kept; a later mapping may succeed once others are unmapped.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class IovaSpaceExhaustedException extends DmaMappingException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the size and the limit
     * @param cause the IOVA allocator's exception
     */
    public IovaSpaceExhaustedException(String message, Throwable cause) {
        super(message, cause);
    }
}

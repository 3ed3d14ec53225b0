package org.dmalib.dma.ops;

/**
 * The IOMMU domain refused or failed a map the DMA API asked for, for example because its
 * driver ran out of page-table memory ({@code -ENOMEM}); the cause is the IOMMU's exception.
 * What the call had mapped was unmapped (with an IOTLB sync) and its IOVA freed: nothing stays
 * mapped. Cache maintenance already done for the device is not undone (harmless, as in Linux).
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class IommuMappingException extends DmaMappingException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     * @param cause the IOMMU's exception
     */
    public IommuMappingException(String message, Throwable cause) {
        super(message, cause);
    }
}

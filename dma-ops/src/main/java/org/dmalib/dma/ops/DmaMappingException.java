package org.dmalib.dma.ops;

/**
 * A DMA mapping or coherent allocation could not be made although the request was well
 * formed (for example a buffer above the DMA mask bigger than the largest bounce buffer, or no
 * memory below the mask). Nothing was mapped, no slot or page was kept, no cache maintenance
 * was done.
 *
 * <p>Not final: {@link BouncePoolExhaustedException}, {@link IovaSpaceExhaustedException} and
 * {@link IommuMappingException} narrow it.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public class DmaMappingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public DmaMappingException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the lower layer's failure as its cause.
     *
     * @param message what failed, naming the values
     * @param cause the IOMMU or allocator exception behind it
     */
    public DmaMappingException(String message, Throwable cause) {
        super(message, cause);
    }
}

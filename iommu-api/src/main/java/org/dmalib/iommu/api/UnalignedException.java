package org.dmalib.iommu.api;

/**
 * An address or size is not aligned to the domain's smallest page size, or admits no supported
 * page size ({@code iommu_map}'s "unaligned: iova … pa … size … min_pagesz …", -EINVAL).
 * Nothing was changed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class UnalignedException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the operation and the values, as {@code name=0x…}
     */
    public UnalignedException(String message) {
        super(message);
    }

    /**
     * Returns the exception for a map request whose {@code iova | paddr | size} is not a multiple
     * of {@code minPageSize}.
     *
     * @param iova the requested device address
     * @param paddr the requested physical address
     * @param size the requested size in bytes
     * @param minPageSize the smallest page size of the domain
     * @return the exception, naming all four values
     */
    public static UnalignedException map(long iova, long paddr, long size, long minPageSize) {
        return new UnalignedException(String.format(
                "unaligned map: iova=0x%x paddr=0x%x size=0x%x minPageSize=0x%x",
                iova, paddr, size, minPageSize));
    }

    /**
     * Returns the exception for an unmap request whose {@code iova | size} is not a multiple of
     * {@code minPageSize}.
     *
     * @param iova the requested device address
     * @param size the requested size in bytes
     * @param minPageSize the smallest page size of the domain
     * @return the exception, naming all three values
     */
    public static UnalignedException unmap(long iova, long size, long minPageSize) {
        return new UnalignedException(String.format(
                "unaligned unmap: iova=0x%x size=0x%x minPageSize=0x%x", iova, size, minPageSize));
    }
}

package org.dmalib.iommu.api;

/**
 * A map request found a valid entry where it was to install one (io-pgtable's -EEXIST). Thrown
 * by drivers; the IOMMU core undoes what the failing {@code map} call had mapped before
 * rethrowing, so nothing is changed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class AlreadyMappedException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param iova the device address that is already mapped
     */
    public AlreadyMappedException(long iova) {
        super(String.format("already mapped: iova=0x%x", iova));
    }
}

package org.dmalib.iommu.api;

/**
 * A map request found a valid entry where it was to install one (io-pgtable's -EEXIST). Thrown
 * by drivers; the IOMMU core undoes what the failing {@code map} call had mapped before
 * rethrowing, so nothing is changed.
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

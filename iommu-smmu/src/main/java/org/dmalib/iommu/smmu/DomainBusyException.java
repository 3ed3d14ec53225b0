package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.IommuException;

/**
 * The domain still has streams attached, or is not a live domain of this SMMU; nothing was
 * changed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class DomainBusyException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public DomainBusyException(String message) {
        super(message);
    }
}

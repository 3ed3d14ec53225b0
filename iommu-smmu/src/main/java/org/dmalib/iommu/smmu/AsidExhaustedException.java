package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.IommuException;

/**
 * Every ASID of the SMMU's ASID space (IDR0.ASID16: 8 or 16 bits, ASID 0 reserved as in
 * Linux) belongs to a live domain; no domain was allocated.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class AsidExhaustedException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public AsidExhaustedException(String message) {
        super(message);
    }
}

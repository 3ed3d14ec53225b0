package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.IommuException;

/**
 * The SMMU lacks something the driver needs (stage 1, AArch64 tables, little-endian tables, a
 * command queue of more than 64 entries), or did not acknowledge a control register; the
 * SMMU was left disabled or as it was.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class SmmuProbeException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public SmmuProbeException(String message) {
        super(message);
    }
}

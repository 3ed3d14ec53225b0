package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.IommuException;

/**
 * A stream ID outside the driver's stream table (SMMU_IDR1.SIDSIZE, capped by the table size
 * the driver allocates) was named; nothing was changed.
 */
public final class StreamIdException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public StreamIdException(String message) {
        super(message);
    }
}

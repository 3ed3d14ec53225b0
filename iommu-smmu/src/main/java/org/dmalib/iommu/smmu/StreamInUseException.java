package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.IommuException;

/**
 * The stream is already attached to a domain (attach) or to none (detach); detach it first.
 * Nothing was changed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class StreamInUseException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public StreamInUseException(String message) {
        super(message);
    }
}

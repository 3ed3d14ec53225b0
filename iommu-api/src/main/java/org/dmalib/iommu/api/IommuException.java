package org.dmalib.iommu.api;

/**
 * An IOMMU operation was refused or failed. Every kind names the values at fault as
 * {@code name=0x…}; unless a kind says otherwise, the domain is unchanged when it is thrown.
 *
 * <p>The kinds are in this package; drivers throw them too (for example
 * {@link AlreadyMappedException} from a page-table map).
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public abstract class IommuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    protected IommuException(String message) {
        super(message);
    }
}

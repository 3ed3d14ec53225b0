package org.dmalib.iommu.api.spi;

import org.dmalib.iommu.api.IommuException;

/**
 * Thrown by {@link IommuDomainOps#mapPages} when it fails after mapping some pages (Linux's
 * {@code map_pages} return code together with its {@code *mapped} out-parameter). The IOMMU core
 * unmaps everything the failing {@code map} call mapped, these bytes included, and rethrows
 * {@link #reason()}, so users never see this type.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class MapPagesException extends IommuException {
    private static final long serialVersionUID = 1L;

    private final long mapped;
    private final IommuException reason;

    /**
     * Creates the exception.
     *
     * @param mapped bytes mapped by the failing call before it failed: not negative
     * @param reason why it failed
     * @throws IllegalArgumentException naming {@code mapped} if negative
     */
    public MapPagesException(long mapped, IommuException reason) {
        super(String.format("mapPages failed after mapped=0x%x: %s", mapped, reason.getMessage()));
        if (mapped < 0) {
            throw new IllegalArgumentException("mapped=" + mapped + " must not be negative");
        }
        this.mapped = mapped;
        this.reason = reason;
        initCause(reason);
    }

    /** {@return the bytes the failing call mapped before it failed} */
    public long mapped() {
        return mapped;
    }

    /** {@return why it failed: the exception the user sees} */
    public IommuException reason() {
        return reason;
    }
}

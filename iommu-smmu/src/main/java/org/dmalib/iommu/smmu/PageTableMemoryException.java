package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.IommuException;

/**
 * Page-table memory ran out, or a table was freed that was never allocated; nothing was
 * allocated or freed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class PageTableMemoryException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public PageTableMemoryException(String message) {
        super(message);
    }
}

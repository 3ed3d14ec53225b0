package org.dmalib.iommu.api;

/**
 * A call reached a domain its IOMMU driver has freed ({@code iommu_domain_free}): a use after
 * free, a caller bug. The domain has no page tables, no ASID and no streams any more and refuses
 * every operation; nothing is changed when this is thrown.
 *
 * <p>Drivers throw it, rather than a plain {@link IllegalStateException}, from every operation
 * of a freed domain, so that a caller holding the domain (the DMA layer's flush queue, say) can
 * tell a freed domain from other failures.
 *
 * <p>Thread-safety: the message is set when it is built; safe to hand to another thread once
 * thrown.
 */
public final class DomainFreedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which domain was freed, naming it
     */
    public DomainFreedException(String message) {
        super(message);
    }
}

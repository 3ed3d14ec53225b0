package org.dmalib.iommu.api;

/**
 * A map request's protection grants neither read nor write access, so the mapping would be
 * useless (io-pgtable silently maps nothing; here it is refused). Nothing was changed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class InvalidProtException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param prot the refused protection
     */
    public InvalidProtException(IommuProt prot) {
        super(String.format("prot=0x%x %s grants neither READ nor WRITE", prot.bits(), prot));
    }
}

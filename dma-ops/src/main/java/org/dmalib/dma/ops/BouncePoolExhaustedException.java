package org.dmalib.dma.ops;

/**
 * A buffer had to be bounced but the bounce pool has no free run of slots for it (swiotlb's
 * "swiotlb buffer is full"). Nothing was mapped and no slot was kept; a later mapping may
 * succeed once others are unmapped.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class BouncePoolExhaustedException extends DmaMappingException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the size and the pool's state
     */
    public BouncePoolExhaustedException(String message) {
        super(message);
    }
}

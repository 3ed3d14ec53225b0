package org.dmalib.dma.ops.internal.iommu;

/**
 * An untrusted device's buffer had to be bounced and could not be: the pool is full, the
 * buffer's granule span is larger than the largest bounce buffer or than the pool can ever
 * hold, or there is no pool at all. Nothing was mapped or kept.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class BounceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean exhausted;

    BounceUnavailableException(boolean exhausted, String message) {
        super(message);
        this.exhausted = exhausted;
    }

    /**
     * {@return whether the pool was full (a later call may succeed), not the size too large for
     * any bounce buffer or for this pool, or no pool at all}
     */
    public boolean exhausted() {
        return exhausted;
    }
}

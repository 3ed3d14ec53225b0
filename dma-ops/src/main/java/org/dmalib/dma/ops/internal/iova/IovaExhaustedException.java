package org.dmalib.dma.ops.internal.iova;

/**
 * No free range of the (rounded) size fits below the limit. Thrown after the allocator gave up;
 * no range was handed out. Linux returns 0 ({@code -ENOMEM} inside the rbtree code).
 *
 * <p>Thread-safety: immutable.
 */
public final class IovaExhaustedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final long size;
    private final long limitPfn;

    /**
     * Creates the exception.
     *
     * @param size the size in granules that was searched for (after rounding)
     * @param limitPfn the highest granule the range could have reached (inclusive, after clamping
     *     to the aperture)
     */
    IovaExhaustedException(long size, long limitPfn) {
        super(String.format("no free IOVA range of %d granules at or below pfn 0x%x", size, limitPfn));
        this.size = size;
        this.limitPfn = limitPfn;
    }

    /** {@return the size in granules that was searched for (after rounding)} */
    public long size() {
        return size;
    }

    /** {@return the inclusive limit, in granules, the range had to stay at or below} */
    public long limitPfn() {
        return limitPfn;
    }
}

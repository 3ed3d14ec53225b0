package org.dmalib.dma.ops.internal.iova;

/**
 * A free named a range that is not outstanding: never handed out, already freed (a double
 * free), freed with another size, or a reserved range. Thrown before anything changed.
 *
 * <p>Thread-safety: immutable.
 */
public final class UnknownIovaException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long pfn;
    private final long size;

    /**
     * Creates the exception.
     *
     * @param pfn the first granule the caller tried to free
     * @param size the size in granules the caller gave
     * @param why what is wrong with the range
     */
    UnknownIovaException(long pfn, long size, String why) {
        super(String.format("free of pfn=0x%x size=%d granules: %s", pfn, size, why));
        this.pfn = pfn;
        this.size = size;
    }

    /** {@return the first granule the caller tried to free} */
    public long pfn() {
        return pfn;
    }

    /** {@return the size in granules the caller gave} */
    public long size() {
        return size;
    }
}

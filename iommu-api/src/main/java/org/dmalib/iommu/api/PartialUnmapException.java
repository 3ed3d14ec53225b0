package org.dmalib.iommu.api;

/**
 * An unmap would have subdivided a larger mapping: the range starts or ends inside a block that
 * was mapped as one piece. {@code iommu_unmap()} "cannot subdivide a mapping created by
 * iommu_map()", and since Linux v6.13 the ARM page tables refuse instead of splitting the block.
 * Nothing was unmapped.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class PartialUnmapException extends IommuException {
    private static final long serialVersionUID = 1L;

    private final long blockIova;
    private final long blockSize;

    /**
     * Creates the exception.
     *
     * @param iova the first IOVA of the refused unmap
     * @param size the size of the refused unmap
     * @param blockIova the first IOVA of the block it would split
     * @param blockSize the block's size
     */
    public PartialUnmapException(long iova, long size, long blockIova, long blockSize) {
        super(String.format("unmap iova=0x%x size=0x%x would split the block iova=0x%x size=0x%x",
                iova, size, blockIova, blockSize));
        this.blockIova = blockIova;
        this.blockSize = blockSize;
    }

    /** {@return the first IOVA of the block the unmap would split} */
    public long blockIova() {
        return blockIova;
    }

    /** {@return the size of the block the unmap would split} */
    public long blockSize() {
        return blockSize;
    }
}

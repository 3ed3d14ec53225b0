package org.dmalib.iommu.api;

/**
 * A run of {@code pgcount} pages of one size, {@code pgsize}: one {@code map_pages} or
 * {@code unmap_pages} call's worth ({@code iommu_pgsize}'s result).
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param pgsize the page size in bytes: a power of two
 * @param pgcount the number of pages: positive
 */
public record PageRun(long pgsize, long pgcount) {
    /**
     * Validates the run.
     *
     * @param pgsize the page size in bytes: a positive power of two
     * @param pgcount the number of pages: positive
     * @throws IllegalArgumentException naming the bad value
     */
    public PageRun {
        if (pgsize <= 0 || Long.bitCount(pgsize) != 1) {
            throw new IllegalArgumentException(
                    String.format("pgsize=0x%x must be a power of two", pgsize));
        }
        if (pgcount <= 0) {
            throw new IllegalArgumentException("pgcount=" + pgcount + " must be positive");
        }
    }

    /** {@return the bytes the run covers, {@code pgsize * pgcount}} */
    public long bytes() {
        return Math.multiplyExact(pgsize, pgcount);
    }
}

package org.dmalib.iommu.api;

/**
 * One input entry of a scatterlist, as the CPU sees the buffer: a page, an offset into it and a
 * length ({@code struct scatterlist}'s page_link, offset, length).
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param page physical address of the page holding the start of the segment: not negative and
 *     aligned to {@link #PAGE_SIZE}
 * @param offset where the segment starts in that page: from 0 to {@code PAGE_SIZE - 1}
 * @param length bytes in the segment: positive; a segment may run on into following pages
 */
public record Segment(long page, int offset, int length) {
    /** The CPU page size the segment's page is aligned to: 4 KiB. */
    public static final int PAGE_SIZE = 4096;

    /**
     * Validates the segment.
     *
     * @param page physical address of the page holding the start of the segment: a non-negative
     *     multiple of {@link #PAGE_SIZE}
     * @param offset where the segment starts in that page: from 0 to {@code PAGE_SIZE - 1}
     * @param length bytes in the segment: positive; {@code page + offset + length} must not
     *     overflow a {@code long}
     * @throws IllegalArgumentException naming the bad value
     */
    public Segment {
        if (page < 0 || (page & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "page=0x%x must be a non-negative multiple of %d", page, PAGE_SIZE));
        }
        if (offset < 0 || offset >= PAGE_SIZE) {
            throw new IllegalArgumentException(
                    "offset=" + offset + " must be from 0 to " + (PAGE_SIZE - 1));
        }
        if (length <= 0) {
            throw new IllegalArgumentException("length=" + length + " must be positive");
        }
        if (page + offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException(String.format(
                    "segment page=0x%x offset=%d length=%d overflows", page, offset, length));
        }
    }

    /**
     * Returns the segment starting at physical address {@code paddr}.
     *
     * @param paddr the physical address of the first byte, not negative
     * @param length bytes, positive
     * @return the segment with {@code page = paddr & ~(PAGE_SIZE - 1)}
     * @throws IllegalArgumentException naming the bad value
     */
    public static Segment ofPhysical(long paddr, int length) {
        if (paddr < 0) {
            throw new IllegalArgumentException(String.format("paddr=0x%x must not be negative", paddr));
        }
        return new Segment(paddr & -PAGE_SIZE, (int) (paddr & (PAGE_SIZE - 1)), length);
    }

    /** {@return the physical address of the first byte ({@code sg_phys})} */
    public long paddr() {
        return page + offset;
    }

    /** {@return the physical address one past the last byte} */
    public long end() {
        return paddr() + length;
    }
}

package org.dmalib.iommu.api;

import com.google.errorprone.annotations.CheckReturnValue;
import com.google.errorprone.annotations.Immutable;
import java.util.StringJoiner;

/**
 * The page sizes an IOMMU domain supports ({@code pgsize_bitmap}): bit {@code n} set means pages
 * of {@code 2^n} bytes. {@link #pgsize} is Linux's {@code iommu_pgsize}, a pure function.
 *
 * <p>Immutable and thread-safe.
 */
@Immutable
@CheckReturnValue
public final class PageSizes {
    private final long bitmap;

    private PageSizes(long bitmap) {
        this.bitmap = bitmap;
    }

    /**
     * Returns the set whose bit {@code n} means pages of {@code 2^n} bytes.
     *
     * @param bitmap not zero; bit 63 clear (sizes are positive {@code long}s)
     * @return the set
     * @throws IllegalArgumentException naming {@code bitmap} otherwise
     */
    public static PageSizes ofBitmap(long bitmap) {
        if (bitmap <= 0) {
            throw new IllegalArgumentException(String.format(
                    "pgsizeBitmap=0x%x must be non-zero with bit 63 clear", bitmap));
        }
        return new PageSizes(bitmap);
    }

    /**
     * Returns the set of the given sizes.
     *
     * @param sizes at least one; each a positive power of two
     * @return the set
     * @throws IllegalArgumentException naming the first bad size, or if there is none
     */
    public static PageSizes of(long... sizes) {
        long b = 0;
        for (long s : sizes) {
            if (s <= 0 || Long.bitCount(s) != 1) {
                throw new IllegalArgumentException(
                        String.format("pgsize=0x%x must be a power of two", s));
            }
            b |= s;
        }
        return ofBitmap(b);
    }

    /** {@return the bitmap: bit {@code n} set for pages of {@code 2^n} bytes} */
    public long bitmap() {
        return bitmap;
    }

    /** {@return the smallest page size, the domain's granule for alignment} */
    public long minPageSize() {
        return Long.lowestOneBit(bitmap);
    }

    /** {@return the largest page size} */
    public long maxPageSize() {
        return Long.highestOneBit(bitmap);
    }

    /**
     * Returns whether {@code size} is one of the page sizes.
     *
     * @param size any value
     * @return true if it is a supported page size
     */
    public boolean contains(long size) {
        return size > 0 && Long.bitCount(size) == 1 && (bitmap & size) != 0;
    }

    /**
     * Chooses the page size and count for the next {@code map_pages}/{@code unmap_pages} call
     * ({@code iommu_pgsize}, reference §3.2): the largest supported size no bigger than
     * {@code size} nor than the alignment of {@code iova | paddr}; the count stops at the next
     * boundary where a bigger page size becomes possible, when the rest of the request reaches
     * past it by a whole bigger page.
     *
     * <p>Loop until the request is consumed, each time advancing {@code iova} and {@code paddr}
     * by {@code pgsize * pgcount} and shrinking {@code size} by as much. For an unmap pass
     * {@code paddr = iova}.
     *
     * @param iova the device address: not negative
     * @param paddr the physical address: not negative
     * @param size bytes left in the request: positive
     * @return the run: {@code pgsize} divides {@code iova} and {@code paddr} (unless they are 0),
     *     and {@code pgsize * pgcount <= size}
     * @throws UnalignedException if no supported size fits (size below the smallest page, or
     *     {@code iova | paddr} aligned below it), naming the values
     * @throws IllegalArgumentException if an argument is negative or {@code size} is 0
     */
    public PageRun pgsize(long iova, long paddr, long size) {
        if (iova < 0 || paddr < 0 || size <= 0) {
            throw new IllegalArgumentException(String.format(
                    "iommu_pgsize: iova=0x%x paddr=0x%x must not be negative, size=0x%x positive",
                    iova, paddr, size));
        }
        long addrMerge = iova | paddr;
        // GENMASK(__fls(size), 0): the sizes not bigger than the request
        long pgsizes = bitmap & maskUpTo(63 - Long.numberOfLeadingZeros(size));
        if (addrMerge != 0) {
            // GENMASK(__ffs(addr_merge), 0): the sizes not bigger than the alignment
            pgsizes &= maskUpTo(Long.numberOfTrailingZeros(addrMerge));
        }
        if (pgsizes == 0) {
            throw new UnalignedException(String.format(
                    "no page size fits: iova=0x%x paddr=0x%x size=0x%x pgsizeBitmap=0x%x",
                    iova, paddr, size, bitmap));
        }
        int pgsizeIdx = 63 - Long.numberOfLeadingZeros(pgsizes);
        long pgsize = 1L << pgsizeIdx;

        long bigger = bitmap & ~maskUpTo(pgsizeIdx);
        if (bigger == 0) {
            return new PageRun(pgsize, size >>> pgsizeIdx);
        }
        long pgsizeNext = Long.lowestOneBit(bigger);
        // no point aiming for the bigger size unless iova and paddr share its offset
        if (((iova ^ paddr) & (pgsizeNext - 1)) != 0) {
            return new PageRun(pgsize, size >>> pgsizeIdx);
        }
        long offset = pgsizeNext - (addrMerge & (pgsizeNext - 1));
        long offsetEnd = offset + pgsizeNext;
        // check_add_overflow: sizes are positive longs, so a negative sum is the overflow
        long run = offsetEnd >= 0 && offsetEnd <= size ? offset : size;
        return new PageRun(pgsize, run >>> pgsizeIdx);
    }

    /** GENMASK(bit, 0): bits 0 to {@code bit} inclusive. */
    private static long maskUpTo(int bit) {
        return bit >= 63 ? -1L : (1L << (bit + 1)) - 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageSizes other && bitmap == other.bitmap;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bitmap);
    }

    @Override
    public String toString() {
        StringJoiner j = new StringJoiner("|", "PageSizes[", "]");
        for (long b = bitmap; b != 0; b &= b - 1) {
            j.add(humanSize(Long.lowestOneBit(b)));
        }
        return j.toString();
    }

    private static String humanSize(long size) {
        String[] units = {"", "K", "M", "G", "T", "P", "E"};
        int u = 0;
        long s = size;
        // 1024 = 2^10: the step between binary units
        while (s >= 1024 && s % 1024 == 0) {
            s /= 1024;
            u++;
        }
        return s + units[u];
    }
}

package org.dmalib.iommu.api.internal.tlb;

/**
 * What one IOTLB invalidation must cover: the bytes {@code [iova, iova + size)} of address space
 * {@code asid}, made of entries of {@code granule} bytes; the input of every planner. The range
 * may end exactly at 2^63 (its {@link #last} byte {@code Long.MAX_VALUE}), the top of a 63-bit
 * space, so its end is kept as that inclusive last byte, as Linux's gather keeps {@code end}.
 *
 * <p>For a leaf sync (the gather) {@code granule} is the gathered page size; for a walk flush
 * ({@code leaf == false}) it is the leaf granule and the range is the whole table being freed,
 * as Linux passes them (reference §4.5, §5.1).
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param asid the address space: 0 to {@link TlbCommand#MAX_ASID}
 * @param iova the first byte: a non-negative multiple of {@code granule}
 * @param size bytes: a positive multiple of {@code granule}; {@code iova + size} at most 2^63
 * @param granule bytes per entry: a power of two, at least {@code minPageSize}
 * @param leaf true for leaf-only invalidation (unmapped pages), false for a walk flush
 * @param minPageSize the domain's smallest page size (the TG of range commands): 4, 16 or 64 KiB
 * @param ril whether the SMMU has range invalidation (IDR3.RIL, SMMUv3.2)
 */
public record InvalidationRequest(
        int asid, long iova, long size, long granule, boolean leaf, long minPageSize, boolean ril) {
    // the three translation granules of SMMUv3 / LPAE
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_16K = 1L << 14;
    private static final long SZ_64K = 1L << 16;

    /**
     * Validates the request.
     *
     * @param asid the address space: 0 to {@link TlbCommand#MAX_ASID}
     * @param iova the first byte: a non-negative multiple of {@code granule}
     * @param size bytes: a positive multiple of {@code granule}; {@code iova + size} at most
     *     2^63 (the last byte at most {@code Long.MAX_VALUE})
     * @param granule bytes per entry: a power of two, at least {@code minPageSize}
     * @param leaf true for leaf-only invalidation (unmapped pages), false for a walk flush
     * @param minPageSize the domain's smallest page size (the TG of range commands): 4, 16 or
     *     64 KiB
     * @param ril whether the SMMU has range invalidation (IDR3.RIL, SMMUv3.2)
     * @throws IllegalArgumentException naming the bad value
     */
    public InvalidationRequest {
        if (asid < 0 || asid > TlbCommand.MAX_ASID) {
            throw new IllegalArgumentException(
                    "asid=" + asid + " must be 0 to " + TlbCommand.MAX_ASID);
        }
        if (minPageSize != SZ_4K && minPageSize != SZ_16K && minPageSize != SZ_64K) {
            throw new IllegalArgumentException(String.format(
                    "minPageSize=0x%x must be 4, 16 or 64 KiB", minPageSize));
        }
        if (granule < minPageSize || Long.bitCount(granule) != 1) {
            throw new IllegalArgumentException(String.format(
                    "granule=0x%x must be a power of two >= minPageSize=0x%x", granule, minPageSize));
        }
        if (iova < 0 || (iova & (granule - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "iova=0x%x must be a non-negative multiple of granule=0x%x", iova, granule));
        }
        if (size <= 0 || (size & (granule - 1)) != 0) {
            throw new IllegalArgumentException(String.format(
                    "size=0x%x must be a positive multiple of granule=0x%x from iova=0x%x",
                    size, granule, iova));
        }
        // the last byte iova + size - 1 must be a long; iova >= 0 and size >= 1 here, so
        // neither side overflows, and a range ending exactly at 2^63 passes
        if (size - 1 > Long.MAX_VALUE - iova) {
            throw new IllegalArgumentException(String.format(
                    "size=0x%x from iova=0x%x ends past 2^63: the last byte would be above 0x%x",
                    size, iova, Long.MAX_VALUE));
        }
    }

    /** {@return log2 of {@link #minPageSize}: 12, 14 or 16} */
    public int tgShift() {
        return Long.numberOfTrailingZeros(minPageSize);
    }

    /** {@return the range in units of {@code minPageSize}: what range commands count} */
    public long pages() {
        return size >>> tgShift();
    }

    /** {@return the range in units of {@code granule}: one per-page command each} */
    public long granules() {
        return size >>> Long.numberOfTrailingZeros(granule);
    }

    /**
     * Returns the last byte, inclusive. One past it is 2^63 for a range at the top of a 63-bit
     * space, which no long holds; hence no {@code end()}.
     *
     * @return {@code iova + size - 1}, at most {@code Long.MAX_VALUE}
     */
    public long last() {
        return iova + size - 1;
    }
}

package org.dmalib.iommu.api.internal.tlb;

/**
 * What an ASID-wide invalidation costs beyond its command: the entries it removes that are still
 * wanted and must be walked again. Assumption: every live IOTLB entry of the address space
 * outside the invalidated range is used once more after the invalidation, and, since
 * {@code TLBI_NH_ASID} also empties the walk cache for that ASID, each refill is a full walk.
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param liveEntriesOutsideRange IOTLB entries of the ASID outside the range (at most the
 *     domain's live mappings, counted in leaf entries): not negative
 * @param pteReadsPerRefill page-table levels one walk reads: 1 to 5 (LPAE: 3 or 4; LPA2: 5)
 */
public record RefillEstimate(long liveEntriesOutsideRange, int pteReadsPerRefill) {
    // five levels is the deepest LPAE-family walk (52-bit VA with 4 KiB granule, FEAT_LPA2)
    private static final int MAX_LEVELS = 5;

    /** No other live entries: an ASID-wide invalidation then costs only its command. */
    public static final RefillEstimate NONE = new RefillEstimate(0, 1);

    /**
     * Validates the estimate.
     *
     * @param liveEntriesOutsideRange IOTLB entries of the ASID outside the range: not negative
     * @param pteReadsPerRefill page-table levels one walk reads: 1 to 5
     * @throws IllegalArgumentException naming the bad value
     */
    public RefillEstimate {
        if (liveEntriesOutsideRange < 0) {
            throw new IllegalArgumentException(
                    "liveEntriesOutsideRange=" + liveEntriesOutsideRange + " must not be negative");
        }
        if (pteReadsPerRefill < 1 || pteReadsPerRefill > MAX_LEVELS) {
            throw new IllegalArgumentException(
                    "pteReadsPerRefill=" + pteReadsPerRefill + " must be 1 to " + MAX_LEVELS);
        }
    }
}

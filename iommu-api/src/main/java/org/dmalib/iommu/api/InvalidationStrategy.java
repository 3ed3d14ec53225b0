package org.dmalib.iommu.api;

/**
 * How a domain's driver turns a gathered IOVA range into IOTLB invalidation commands. All three
 * are correct: after the sync no IOTLB entry for the range survives; they differ in cost.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum InvalidationStrategy {
    /** One command per granule, whatever the hardware offers (the 2015 behaviour). */
    PER_PAGE,
    /**
     * What newest Linux does: range commands (RIL) when the SMMU has them; without RIL, one
     * command per granule below {@code (granule / 8)} commands and one ASID-wide invalidation at or
     * above.
     */
    LINUX,
    /**
     * The fewest commands that cover exactly the invalidated range, or one ASID-wide invalidation
     * when a cost model says that is cheaper, refills included.
     */
    OPTIMAL
}

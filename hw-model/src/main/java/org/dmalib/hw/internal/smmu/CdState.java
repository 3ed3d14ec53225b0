package org.dmalib.hw.internal.smmu;

/**
 * A decoded, cached context descriptor: everything a stage-1 walk needs. The record itself is
 * the TTB0 half (the bottom {@code 2^ias} bytes of the address space); {@link #upper} is the
 * TTB1 half, a record of the same shape, while CD.EPD1 is clear.
 *
 * @param asid the address space ID tagging TLB entries
 * @param ttb physical address of the start-level table, aligned to its size
 * @param granuleShift log2 of the granule: 12, 14 or 16
 * @param ias input address size in bits (64 - TxSZ): the half's region is {@code 2^ias} bytes
 * @param startLevel the level the walk starts at
 * @param oas output address size in bits: min(CD.IPS, SMMU_IDR5.OAS)
 * @param walkCoherent whether walks snoop CPU caches (COHACC and a cacheable IRGNx)
 * @param accessFlagFaultDisabled CD.AFFD
 * @param hierarchicalDisabled CD.HADx: APTable bits are ignored
 * @param recordFaults CD.R: faults are written to the event queue
 * @param walksDisabled CD.EPD0 (false in the TTB1 half): every address of the region faults
 * @param upper the TTB1 half, or null while CD.EPD1 is set (null in the TTB1 half itself)
 */
record CdState(
        int asid,
        long ttb,
        int granuleShift,
        int ias,
        int startLevel,
        int oas,
        boolean walkCoherent,
        boolean accessFlagFaultDisabled,
        boolean hierarchicalDisabled,
        boolean recordFaults,
        boolean walksDisabled,
        CdState upper) {

    /**
     * Returns the half that translates {@code va} (called on the TTB0 half): this one if
     * {@code va}'s bits above the TTB0 region are all 0, the TTB1 half if its bits above the
     * TTB1 region are all 1, or null if that half is disabled or {@code va} lies between the
     * two regions: F_TRANSLATION (VMSAv8-64 with TBI clear; QEMU select_tt).
     */
    CdState select(long va) {
        if (va >>> ias == 0) {
            return walksDisabled ? null : this;
        }
        // arithmetic shift: all ones above the TTB1 region
        return upper != null && va >> upper.ias == -1 ? upper : null;
    }
}

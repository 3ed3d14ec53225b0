package org.dmalib.hw.internal.smmu;

/**
 * A decoded, cached context descriptor: everything a stage-1 walk needs.
 *
 * @param asid the address space ID tagging TLB entries
 * @param ttb physical address of the start-level table, aligned to its size
 * @param granuleShift log2 of the granule: 12, 14 or 16
 * @param ias input address size in bits (64 - T0SZ)
 * @param startLevel the level the walk starts at
 * @param oas output address size in bits: min(CD.IPS, SMMU_IDR5.OAS)
 * @param walkCoherent whether walks snoop CPU caches (COHACC and a cacheable IRGN0)
 * @param accessFlagFaultDisabled CD.AFFD
 * @param hierarchicalDisabled CD.HAD0: APTable bits are ignored
 * @param recordFaults CD.R: faults are written to the event queue
 * @param walksDisabled CD.EPD0: every address faults
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
        boolean walksDisabled) {}

package org.dmalib.hw.internal.smmu;

/**
 * A decoded, cached stream table entry.
 *
 * @param config STE.Config: abort, bypass or stage-1 translation
 * @param contextPtr physical address of the stream's context descriptor
 * @param cdCoherent whether CD fetches snoop CPU caches (COHACC and a cacheable S1CIR)
 * @param privileged whether the stream's accesses are privileged (STE.PRIVCFG)
 */
record SteState(int config, long contextPtr, boolean cdCoherent, boolean privileged) {}

package org.dmalib.hw;

/**
 * The shape of an SMMU's translation caches: a fully associative micro-TLB in front of a
 * set-associative main TLB, and a walk cache of table descriptors for levels 0 to 2.
 *
 * <p>A structure with zero entries is absent: lookups skip it and nothing is counted for it.
 * Set-associative structures index a set by the entry's page number at its own level modulo the
 * number of sets (gem5 {@code SMMUTLB::pickSetIdx}: {@code (va >> 12) % sets}, generalised to
 * block entries so that an invalidation by address finds them in one set).
 *
 * <p>Immutable, so safe for concurrent use.
 *
 * <p>Sizes are bounded: a fully associative micro-TLB compares every entry on every lookup, so
 * it holds at most {@value #MAX_MICRO_TLB_ENTRIES} entries; every other structure at most
 * {@value #MAX_ENTRIES}, 32 times gem5's main TLB (the model allocates each structure's arrays
 * up front, per SMMU).
 *
 * @param microTlbEntries micro-TLB entries, fully associative; 0 for none, at most
 *     {@value #MAX_MICRO_TLB_ENTRIES}
 * @param mainTlbEntries main TLB entries; 0 for none, else a multiple of {@code mainTlbWays}, at
 *     most {@value #MAX_ENTRIES}
 * @param mainTlbWays main TLB associativity; at least 1 when the main TLB exists
 * @param walkCacheL0 walk-cache entries for level-0 table descriptors; 0 or a multiple of
 *     {@code walkCacheWays}, at most {@value #MAX_ENTRIES}
 * @param walkCacheL1 walk-cache entries for level-1 table descriptors, likewise
 * @param walkCacheL2 walk-cache entries for level-2 table descriptors, likewise
 * @param walkCacheWays walk-cache associativity; at least 1 when any walk-cache level exists
 */
public record IotlbGeometry(
        int microTlbEntries,
        int mainTlbEntries,
        int mainTlbWays,
        int walkCacheL0,
        int walkCacheL1,
        int walkCacheL2,
        int walkCacheWays) {

    /** The most entries the fully associative micro-TLB may have: 2^10, 32 times gem5's. */
    public static final int MAX_MICRO_TLB_ENTRIES = 1 << 10;

    /** The most entries the main TLB or one walk-cache level may have: 2^16. */
    public static final int MAX_ENTRIES = 1 << 16;

    /**
     * gem5's SMMUv3 defaults ({@code src/dev/arm/SMMUv3.py}): micro-TLB 32 entries fully
     * associative; main TLB 2048 entries 4-way; stage-1 walk cache 4/28/348 entries for levels
     * 0/1/2, 4-way. (gem5's level-3 walk-cache slot holds leaf descriptors, which this model keeps
     * in the TLBs.)
     */
    public static final IotlbGeometry GEM5 = new IotlbGeometry(32, 2048, 4, 4, 28, 348, 4);

    /** No translation caching at all: every translation walks the tables. */
    public static final IotlbGeometry NONE = new IotlbGeometry(0, 0, 1, 0, 0, 0, 1);

    /**
     * Validates the geometry.
     *
     * @param microTlbEntries micro-TLB entries, fully associative: 0 (none) to
     *     {@value #MAX_MICRO_TLB_ENTRIES}
     * @param mainTlbEntries main TLB entries: 0 (none) to {@value #MAX_ENTRIES}, a multiple of
     *     {@code mainTlbWays}
     * @param mainTlbWays main TLB associativity: not negative, at least 1 if there are entries
     * @param walkCacheL0 walk-cache entries for level-0 table descriptors: 0 (none) to
     *     {@value #MAX_ENTRIES}, a multiple of {@code walkCacheWays}
     * @param walkCacheL1 walk-cache entries for level-1 table descriptors, likewise
     * @param walkCacheL2 walk-cache entries for level-2 table descriptors, likewise
     * @param walkCacheWays walk-cache associativity: not negative, at least 1 if any level has
     *     entries
     * @throws IllegalArgumentException naming the bad value
     */
    public IotlbGeometry {
        inRange("microTlbEntries", microTlbEntries, MAX_MICRO_TLB_ENTRIES);
        checkSets("mainTlbEntries", mainTlbEntries, "mainTlbWays", mainTlbWays);
        checkSets("walkCacheL0", walkCacheL0, "walkCacheWays", walkCacheWays);
        checkSets("walkCacheL1", walkCacheL1, "walkCacheWays", walkCacheWays);
        checkSets("walkCacheL2", walkCacheL2, "walkCacheWays", walkCacheWays);
    }

    private static void inRange(String name, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(name + "=" + value + " must be from 0 to " + max);
        }
    }

    private static void checkSets(String name, int entries, String waysName, int ways) {
        inRange(name, entries, MAX_ENTRIES);
        // an absent structure (no entries) has no sets, so any non-negative associativity fits
        if (ways < 0 || (ways == 0 && entries > 0)) {
            throw new IllegalArgumentException(waysName + "=" + ways + " for " + name + "="
                    + entries + " must be >= 1 (or 0 with no entries)");
        }
        if (entries > 0 && entries % ways != 0) { // entries > 0: ways is then at least 1
            throw new IllegalArgumentException(
                    name + "=" + entries + " must be a multiple of its associativity " + ways);
        }
    }
}

package org.dmalib.hw.internal.smmu;

/**
 * One set-associative translation cache (a TLB or one level of the walk cache), held in
 * parallel primitive arrays so that lookups and invalidations allocate nothing.
 *
 * <p>An entry maps the region {@code [tag << shift, (tag + 1) << shift)} of one ASID to a value
 * (a packed translation or a table address). The set of an entry is {@code tag % sets}: the page
 * number at the entry's own size (gem5 indexes by {@code (va >> 12) % sets}; indexing blocks by
 * their block number lets an invalidation by address find them in one set). A fully associative
 * array is one set. Replacement prefers an invalid way, then round robin within the set (gem5's
 * default policy is round robin, {@code SMMUv3.py}).
 *
 * <p>Not thread-safe: the owning SMMU serialises access.
 */
final class TlbArray {
    /** What {@link #lookup} returns on a miss; stored values are never negative. */
    static final long MISS = -1;

    // meta word: bit 31 valid | bits 26:24 level | bits 21:16 shift | bits 15:0 ASID
    private static final int VALID = 1 << 31;
    private static final int LEVEL_SHIFT = 24;
    private static final int SIZE_SHIFT = 16;
    private static final int ASID_MASK = 0xffff;
    private static final int KEY_MASK = VALID | (0x3f << SIZE_SHIFT) | ASID_MASK;

    private final int sets;
    private final int ways;
    private final long[] tags;
    private final long[] values;
    private final int[] meta;
    private final int[] victim;
    // bit s set once an entry of size 2^s was inserted; narrows invalidation probes
    private long shiftsPresent;
    // valid entries: an invalidation of an empty array is answered without scanning it, as a
    // CAM answers in constant time
    private int valid;
    // bumped by every insert and every drop: equal counts mean every lookup answers as before
    private long changes;

    /**
     * Creates an empty array.
     *
     * @param entries total entries, 0 for an absent structure
     * @param ways associativity, dividing {@code entries}; {@code entries} for fully associative
     */
    TlbArray(int entries, int ways) {
        this.ways = entries == 0 ? 1 : ways;
        this.sets = entries / this.ways;
        this.tags = new long[entries];
        this.values = new long[entries];
        this.meta = new int[entries];
        this.victim = new int[sets];
    }

    /** Returns whether the structure has no entries at all (is absent). */
    boolean absent() {
        return sets == 0;
    }

    /**
     * Finds the entry of {@code asid} of size {@code 2^shift} containing {@code va}.
     *
     * @return its value, or {@link #MISS}
     */
    long lookup(int asid, long va, int shift) {
        if (sets == 0) {
            return MISS;
        }
        long tag = va >>> shift;
        int key = VALID | (shift << SIZE_SHIFT) | asid;
        int base = setOf(tag) * ways;
        for (int i = base; i < base + ways; i++) {
            if ((meta[i] & KEY_MASK) == key && tags[i] == tag) {
                return values[i];
            }
        }
        return MISS;
    }

    /**
     * Finds an entry of {@code asid} of any size containing {@code va}: one pass over a fully
     * associative array.
     *
     * @return its value, or {@link #MISS}
     */
    long lookupAnySize(int asid, long va) {
        if (valid == 0) {
            return MISS;
        }
        for (int i = 0; i < meta.length; i++) {
            int m = meta[i];
            if (m < 0 && (m & ASID_MASK) == asid && tags[i] == va >>> ((m >>> SIZE_SHIFT) & 0x3f)) {
                return values[i];
            }
        }
        return MISS;
    }

    /**
     * Inserts (or replaces) the entry of {@code asid} of size {@code 2^shift} at {@code level}
     * containing {@code va}.
     */
    void insert(int asid, long va, int shift, int level, long value) {
        if (sets == 0) {
            return;
        }
        long tag = va >>> shift;
        int key = VALID | (level << LEVEL_SHIFT) | (shift << SIZE_SHIFT) | asid;
        int set = setOf(tag);
        int base = set * ways;
        int slot = -1;
        for (int i = base; i < base + ways; i++) {
            if ((meta[i] & KEY_MASK) == (key & KEY_MASK) && tags[i] == tag) {
                slot = i; // same translation again: refresh it in place
                break;
            }
            if (slot < 0 && meta[i] == 0) {
                slot = i;
            }
        }
        if (slot < 0) {
            slot = base + victim[set];
            victim[set] = (victim[set] + 1) % ways;
        }
        if (meta[slot] == 0) {
            valid++;
        }
        tags[slot] = tag;
        values[slot] = value;
        meta[slot] = key;
        shiftsPresent |= 1L << shift;
        changes++;
    }

    /**
     * Drops every entry overlapping {@code [start, end)} whose ASID is {@code asid} (any if
     * negative) and whose level is {@code level} (any if 0). Both bounds lie on the same side
     * of 2^63 (both TTB0 or both TTB1 addresses), so that signed order is address order. Probes one set per page of each
     * size present while the range is smaller than the array, else scans it once.
     *
     * @return how many entries were dropped
     */
    int invalidateRange(int asid, long start, long end, int level) {
        if (valid == 0 || end <= start) {
            return 0;
        }
        boolean scan = sets == 1;
        for (long s = shiftsPresent; s != 0 && !scan; s &= s - 1) {
            int shift = Long.numberOfTrailingZeros(s);
            scan = ((end - 1) >>> shift) - (start >>> shift) + 1 >= sets;
        }
        if (scan) {
            int dropped = 0;
            for (int i = 0; i < meta.length; i++) {
                if (matches(i, asid, level) && overlaps(i, start, end)) {
                    meta[i] = 0;
                    dropped++;
                }
            }
            return dropped(dropped);
        }
        int dropped = 0;
        for (long s = shiftsPresent; s != 0; s &= s - 1) {
            int shift = Long.numberOfTrailingZeros(s);
            for (long tag = start >>> shift; tag <= (end - 1) >>> shift; tag++) {
                int base = setOf(tag) * ways;
                for (int i = base; i < base + ways; i++) {
                    if (matches(i, asid, level) && ((meta[i] >>> SIZE_SHIFT) & 0x3f) == shift
                            && tags[i] == tag) {
                        meta[i] = 0;
                        dropped++;
                    }
                }
            }
        }
        return dropped(dropped);
    }

    /**
     * Drops every entry of {@code asid}, or every entry if {@code asid} is negative.
     *
     * @return how many entries were dropped
     */
    int invalidateAsid(int asid) {
        int dropped = 0;
        for (int i = 0; valid > dropped && i < meta.length; i++) {
            if (matches(i, asid, 0)) {
                meta[i] = 0;
                dropped++;
            }
        }
        if (asid < 0) {
            shiftsPresent = 0;
        }
        return dropped(dropped);
    }

    /** Accounts for {@code n} dropped entries and returns {@code n}. */
    private int dropped(int n) {
        if (n > 0) {
            changes++;
        }
        valid -= n;
        if (valid == 0) {
            shiftsPresent = 0; // nothing left of any size
        }
        return n;
    }

    /**
     * Returns how many times the contents have changed (inserts, including refreshes in place,
     * and invalidations that dropped anything): while it stays the same, every lookup returns
     * what it returned before.
     */
    long changes() {
        return changes;
    }

    /** Returns how many entries are valid. */
    int validEntries() {
        return valid;
    }

    private boolean matches(int i, int asid, int level) {
        int m = meta[i];
        return m < 0
                && (asid < 0 || (m & ASID_MASK) == asid)
                && (level == 0 || ((m >>> LEVEL_SHIFT) & 0x7) == level);
    }

    private boolean overlaps(int i, long start, long end) {
        int shift = (meta[i] >>> SIZE_SHIFT) & 0x3f;
        long first = tags[i] << shift;
        long last = first + ((1L << shift) - 1);
        return first < end && last >= start;
    }

    private int setOf(long tag) {
        return (int) Long.remainderUnsigned(tag, sets);
    }
}

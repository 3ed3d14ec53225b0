package org.dmalib.dma.ops.internal.iova;

/**
 * A map from first granule to size in granules with primitive keys: open addressing, linear
 * probing, backward-shift deletion (no tombstones), Fibonacci hashing, no boxing and no
 * allocation except when it grows. Key 0 marks an empty slot (pfns are at least 1).
 *
 * <p>Layout: one {@code long[]} holds the count and the slots, each slot a key and its value side
 * by side (a lookup touches one cache line, not one per array), with 64 bytes of padding before
 * the count, between the count and the slots, and after the slots: the words written on every
 * put and remove share no cache line with any other object, wherever the collector moves the
 * array (the map of one CPU is written on that CPU's fast path only).
 *
 * <p>Not thread-safe: guarded by the lock of its owner (a {@link CpuCache}).
 */
final class PfnSizeMap {
    // 8 longs = 64 bytes, a cache line: the padding on each side of the written words
    private static final int PAD = 8;
    // the count's index: a cache line after the array's first element (and its header)
    private static final int COUNT = PAD;
    // the first slot's key: a cache line after the count
    private static final int BASE = 2 * PAD;
    // 16 slots to start, grown x2 above half full (keeps linear probes short)
    private static final int INITIAL_CAPACITY = 16;
    // 2^64 / the golden ratio, odd: multiplicative hashing spreads aligned pfns (which differ in
    // their high bits only) over the slots through the product's top bits
    private static final long PHI = 0x9E37_79B9_7F4A_7C15L;

    private long[] table;
    private int mask;
    private int hashShift;

    PfnSizeMap() {
        allocate(INITIAL_CAPACITY);
    }

    /** Returns how many entries the map holds. */
    int count() {
        return (int) table[COUNT];
    }

    /**
     * Puts {@code key -> value} unless {@code key} is present.
     *
     * @return the present value (then nothing changed), or 0 if the entry was added
     */
    long putIfAbsent(long key, long value) {
        long[] t = table;
        int k = BASE + 2 * home(key);
        long count = t[COUNT];
        // the common case inline: the home slot free and no growth due (the caller's fast path)
        if (t[k] != 0 || 2 * (count + 1) > mask + 1L) {
            return putProbing(key, value);
        }
        t[k] = key;
        t[k + 1] = value;
        t[COUNT] = count + 1;
        return 0;
    }

    /** {@link #putIfAbsent} past the home slot: a probe run, a present key, or growth first. */
    private long putProbing(long key, long value) {
        long[] t = table;
        int k = keyIndex(t, key);
        if (t[k] == key) {
            return t[k + 1];
        }
        long count = t[COUNT];
        if (2 * (count + 1) > mask + 1L) {
            grow();
            t = table;
            k = keyIndex(t, key);
        }
        t[k] = key;
        t[k + 1] = value;
        t[COUNT] = count + 1;
        return 0;
    }

    /**
     * Removes {@code key} if its value is {@code value}.
     *
     * @return the value of {@code key} (removed only if it equals {@code value}), or 0 if absent
     */
    long removeIfValue(long key, long value) {
        long[] t = table;
        int home = home(key);
        int k = BASE + 2 * home;
        // the common case inline: the key in its home slot with that value, and the end of its
        // probe run (the next slot empty: nothing to shift back)
        if (t[k] != key || t[k + 1] != value || t[BASE + 2 * ((home + 1) & mask)] != 0) {
            return removeProbing(key, value);
        }
        t[k] = 0;
        t[k + 1] = 0;
        t[COUNT]--;
        return value;
    }

    /** {@link #removeIfValue} in general: a probe run, another value, or a shift back. */
    private long removeProbing(long key, long value) {
        long[] t = table;
        int k = keyIndex(t, key);
        if (t[k] != key) {
            return 0;
        }
        long found = t[k + 1];
        if (found == value) {
            delete(t, (k - BASE) >>> 1);
        }
        return found;
    }

    /** Fibonacci hashing: the home slot of {@code key}, the product's top bits. */
    private int home(long key) {
        return (int) ((key * PHI) >>> hashShift);
    }

    /** The array index of the key holding {@code key}, or of the empty slot where it would go. */
    private int keyIndex(long[] t, long key) {
        int i = home(key);
        while (true) {
            int k = BASE + 2 * i;
            long present = t[k];
            if (present == 0 || present == key) {
                return k;
            }
            i = (i + 1) & mask;
        }
    }

    /** Backward-shift deletion: later entries of the probe run move up into the hole. */
    private void delete(long[] t, int hole) {
        int i = hole;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            long key = t[BASE + 2 * j];
            if (key == 0) {
                break;
            }
            int home = home(key);
            // the entry at j stays unless the hole lies cyclically between its home and j
            boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                t[BASE + 2 * i] = key;
                t[BASE + 2 * i + 1] = t[BASE + 2 * j + 1];
                i = j;
            }
        }
        t[BASE + 2 * i] = 0;
        t[BASE + 2 * i + 1] = 0;
        t[COUNT]--;
    }

    private void grow() {
        long[] old = table;
        int oldCapacity = mask + 1;
        allocate(2 * oldCapacity);
        long[] t = table;
        for (int s = 0; s < oldCapacity; s++) {
            long key = old[BASE + 2 * s];
            if (key != 0) {
                int k = keyIndex(t, key);
                t[k] = key;
                t[k + 1] = old[BASE + 2 * s + 1];
            }
        }
        t[COUNT] = old[COUNT];
    }

    /** A fresh, empty table of {@code capacity} slots, a power of two. */
    private void allocate(int capacity) {
        table = new long[BASE + 2 * capacity + PAD];
        mask = capacity - 1;
        hashShift = 64 - Integer.numberOfTrailingZeros(capacity);
    }
}

package org.dmalib.dma.ops.internal.iova;

/**
 * The ranges an {@link IovaDomain} has handed out and not taken back: first granule to size.
 * Cached ranges stay allocated in the tree (as in Linux), so this set is what tells an
 * outstanding range from a cached one, and an unknown or double free from a good one.
 *
 * <p>Cost: striped by a hash of the first granule into at least 64 stripes, each a primitive
 * open-addressing map (linear probing, backward-shift deletion, no boxing, no allocation except
 * when a stripe grows) under its own lock. An allocation or a free takes one stripe lock for a
 * few array reads; two threads contend only when they touch the same stripe at the same time.
 * A range freed by another CPU than the one that allocated it moves that stripe's cache lines
 * between cores, as the range's own memory does in Linux.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
final class OutstandingSet {
    // at least 64 stripes, 16 per CPU: two threads that each reuse a few ranges rarely share one
    private static final int MIN_STRIPES = 64;
    private static final int STRIPES_PER_CPU = 16;

    private final Stripe[] stripes;
    private final int stripeShift;

    OutstandingSet(int cpus) {
        int n = Integer.highestOneBit(Math.max(MIN_STRIPES, cpus * STRIPES_PER_CPU) - 1) << 1;
        stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            // each stripe allocates its arrays right after itself: stripes start 300+ bytes apart
            stripes[i] = new Stripe();
        }
        stripeShift = 64 - Integer.numberOfTrailingZeros(n);
    }

    /**
     * Records {@code pfn} as handed out with {@code size} granules.
     *
     * @throws IllegalStateException if it already is: the allocator handed a range out twice
     */
    void add(long pfn, long size) {
        long h = mix(pfn);
        Stripe s = stripes[(int) (h >>> stripeShift)];
        // the stripe lock: find-and-insert must be atomic against a concurrent free of pfn
        synchronized (s) {
            long old = s.putIfAbsent(pfn, size, h);
            if (old != 0) {
                throw new IllegalStateException(String.format(
                        "pfn=0x%x handed out twice (sizes %d and %d)", pfn, old, size));
            }
        }
    }

    /**
     * Removes {@code pfn} if it is outstanding with exactly {@code size} granules.
     *
     * @return the size recorded for {@code pfn} (removed only if it equals {@code size}), or 0 if
     *     {@code pfn} is not outstanding
     */
    long removeIfSize(long pfn, long size) {
        long h = mix(pfn);
        Stripe s = stripes[(int) (h >>> stripeShift)];
        // the stripe lock: of two racing frees of one range exactly one finds it
        synchronized (s) {
            return s.removeIfValue(pfn, size, h);
        }
    }

    /** Returns how many ranges are outstanding (stripe by stripe: exact only when quiescent). */
    long count() {
        long n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.count;
            }
        }
        return n;
    }

    /** The MurmurHash3 64-bit finaliser: aligned pfns differ in high bits only. */
    private static long mix(long k) {
        long h = k;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** One stripe: key 0 marks an empty slot (pfns are at least 1). Guarded by its monitor. */
    private static final class Stripe {
        // 16 slots to start, grown x2 above half full (keeps linear probes short)
        private static final int INITIAL_CAPACITY = 16;

        long[] keys = new long[INITIAL_CAPACITY];
        long[] values = new long[INITIAL_CAPACITY];
        int count;

        long putIfAbsent(long key, long value, long h) {
            int i = slot(key, h);
            if (keys[i] == key) {
                return values[i];
            }
            if (2 * (count + 1) > keys.length) {
                grow();
                i = slot(key, h);
            }
            keys[i] = key;
            values[i] = value;
            count++;
            return 0;
        }

        long removeIfValue(long key, long value, long h) {
            int i = slot(key, h);
            if (keys[i] != key) {
                return 0;
            }
            long found = values[i];
            if (found == value) {
                delete(i);
            }
            return found;
        }

        /** The slot holding {@code key}, or the empty slot where it would go. */
        private int slot(long key, long h) {
            int m = keys.length - 1;
            int i = (int) h & m;
            while (keys[i] != 0 && keys[i] != key) {
                i = (i + 1) & m;
            }
            return i;
        }

        /** Backward-shift deletion: later entries of the probe run move up into the hole. */
        private void delete(int hole) {
            int m = keys.length - 1;
            int i = hole;
            int j = hole;
            while (true) {
                j = (j + 1) & m;
                if (keys[j] == 0) {
                    break;
                }
                int home = (int) mix(keys[j]) & m;
                // move keys[j] into the hole unless its home lies cyclically in (i, j]
                boolean stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
                if (!stays) {
                    keys[i] = keys[j];
                    values[i] = values[j];
                    i = j;
                }
            }
            keys[i] = 0;
            values[i] = 0;
            count--;
        }

        private void grow() {
            long[] oldKeys = keys;
            long[] oldValues = values;
            keys = new long[oldKeys.length * 2];
            values = new long[oldKeys.length * 2];
            for (int k = 0; k < oldKeys.length; k++) {
                if (oldKeys[k] != 0) {
                    int i = slot(oldKeys[k], mix(oldKeys[k]));
                    keys[i] = oldKeys[k];
                    values[i] = oldValues[k];
                }
            }
        }
    }
}

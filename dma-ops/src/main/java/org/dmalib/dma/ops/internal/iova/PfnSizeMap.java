package org.dmalib.dma.ops.internal.iova;

/**
 * A map from first granule to size in granules with primitive keys: open addressing, linear
 * probing, backward-shift deletion (no tombstones), no boxing and no allocation except when it
 * grows. Key 0 marks an empty slot (pfns are at least 1).
 *
 * <p>Not thread-safe: guarded by the lock of its owner (a {@link CpuCache}).
 */
final class PfnSizeMap {
    // 16 slots to start, grown x2 above half full (keeps linear probes short)
    private static final int INITIAL_CAPACITY = 16;

    private long[] keys = new long[INITIAL_CAPACITY];
    private long[] values = new long[INITIAL_CAPACITY];
    private int count;

    /** Returns how many entries the map holds. */
    int count() {
        return count;
    }

    /**
     * Puts {@code key -> value} unless {@code key} is present.
     *
     * @return the present value (then nothing changed), or 0 if the entry was added
     */
    long putIfAbsent(long key, long value) {
        int i = slot(key);
        if (keys[i] == key) {
            return values[i];
        }
        if (2 * (count + 1) > keys.length) {
            grow();
            i = slot(key);
        }
        keys[i] = key;
        values[i] = value;
        count++;
        return 0;
    }

    /**
     * Removes {@code key} if its value is {@code value}.
     *
     * @return the value of {@code key} (removed only if it equals {@code value}), or 0 if absent
     */
    long removeIfValue(long key, long value) {
        int i = slot(key);
        if (keys[i] != key) {
            return 0;
        }
        long found = values[i];
        if (found == value) {
            delete(i);
        }
        return found;
    }

    /** The MurmurHash3 64-bit finaliser: aligned pfns differ in their high bits only. */
    private static long mix(long k) {
        long h = k;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** The slot holding {@code key}, or the empty slot where it would go. */
    private int slot(long key) {
        int m = keys.length - 1;
        int i = (int) mix(key) & m;
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
            // keys[j] stays unless the hole lies cyclically between its home and j
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
                int i = slot(oldKeys[k]);
                keys[i] = oldKeys[k];
                values[i] = oldValues[k];
            }
        }
    }
}

package org.dmalib.hw.internal;

import java.util.Arrays;
import org.dmalib.hw.CacheGeometry;

/**
 * One CPU's private data cache: set associative, write-back, write-allocate, LRU replacement.
 *
 * <p>Storage only: the coherence protocol lives in {@link CoherenceFabric}, which owns every
 * cache and serialises all access to them. Not thread-safe on its own.
 */
final class DataCache {
    private static final long INVALID = -1L;

    private final int lineShift;
    private final int lineSize;
    private final int setMask;
    private final int ways;
    private final long[] tags;      // line number held by each slot (set * ways + way), or INVALID
    private final boolean[] dirty;
    private final long[] lastUse;   // LRU stamp per slot
    private final byte[][] data;    // allocated on first fill of a slot
    private long clock;

    DataCache(CacheGeometry geometry) {
        this.lineSize = geometry.lineSize();
        this.lineShift = Integer.numberOfTrailingZeros(lineSize);
        this.setMask = geometry.sets() - 1;
        this.ways = geometry.ways();
        int slots = geometry.sets() * ways;
        this.tags = new long[slots];
        Arrays.fill(tags, INVALID);
        this.dirty = new boolean[slots];
        this.lastUse = new long[slots];
        this.data = new byte[slots][];
    }

    int lineShift() {
        return lineShift;
    }

    int lineSize() {
        return lineSize;
    }

    /** Returns the slot holding {@code line}, or -1; a hit refreshes the slot's LRU stamp. */
    int lookup(long line) {
        int base = ((int) line & setMask) * ways;
        for (int w = 0; w < ways; w++) {
            if (tags[base + w] == line) {
                lastUse[base + w] = ++clock;
                return base + w;
            }
        }
        return -1;
    }

    /** Returns the slot holding {@code line} without touching LRU state, or -1. */
    int probe(long line) {
        int base = ((int) line & setMask) * ways;
        for (int w = 0; w < ways; w++) {
            if (tags[base + w] == line) {
                return base + w;
            }
        }
        return -1;
    }

    /**
     * Picks the slot {@code line} will fill: an invalid way if there is one, else the least
     * recently used. The caller must write back a dirty victim before calling {@link #install}.
     */
    int victimFor(long line) {
        int base = ((int) line & setMask) * ways;
        int victim = base;
        for (int w = 0; w < ways; w++) {
            int s = base + w;
            if (tags[s] == INVALID) {
                return s;
            }
            if (lastUse[s] < lastUse[victim]) {
                victim = s;
            }
        }
        return victim;
    }

    boolean valid(int slot) {
        return tags[slot] != INVALID;
    }

    long lineOf(int slot) {
        return tags[slot];
    }

    boolean dirty(int slot) {
        return dirty[slot];
    }

    void setDirty(int slot, boolean value) {
        dirty[slot] = value;
    }

    byte[] data(int slot) {
        return data[slot];
    }

    /** Fills {@code slot} with {@code line}, copying {@code contents}; the line starts clean. */
    void install(int slot, long line, byte[] contents) {
        if (data[slot] == null) {
            data[slot] = new byte[lineSize];
        }
        System.arraycopy(contents, 0, data[slot], 0, lineSize);
        tags[slot] = line;
        dirty[slot] = false;
        lastUse[slot] = ++clock;
    }

    /** Drops the line in {@code slot}, discarding its data even if dirty. */
    void drop(int slot) {
        tags[slot] = INVALID;
        dirty[slot] = false;
    }
}

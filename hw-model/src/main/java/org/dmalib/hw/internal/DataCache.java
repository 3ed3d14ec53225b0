package org.dmalib.hw.internal;

import java.util.Arrays;
import org.dmalib.hw.CacheGeometry;

/**
 * One CPU's private data cache: set associative, write-back, write-allocate, LRU replacement.
 *
 * <p>Storage only: the coherence protocol lives in {@link CoherenceFabric} (its per-line steps
 * in {@link LineProtocol}), which owns every cache and serialises all access to them. Not
 * thread-safe on its own.
 */
final class DataCache {
    private static final long INVALID = -1L;
    /** A region is 4 KiB, the base page: range maintenance is issued page by page. */
    static final int REGION_SHIFT = 12;
    // 4096 counters (16 KiB): with at most a few thousand lines cached, few regions share one
    private static final int FILTER_BITS = 12;
    // Fibonacci hashing spreads regions that differ in their high bits over the counters
    private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

    private final int lineSize;
    private final int setMask;
    private final int ways;
    private final long[] tags;      // line number held by each slot (set * ways + way), or INVALID
    private final boolean[] dirty;
    private final long[] lastUse;   // LRU stamp per slot
    private final byte[][] data;    // allocated on first fill of a slot
    private final int regionShift;  // line number -> region number
    // valid lines per hashed region: zero means no line of any region hashing there is held
    private final int[] regionLines = new int[1 << FILTER_BITS];
    // the same counts summed over every cache of the machine, shared by them: zero means no
    // cache holds a line of any region hashing there (one look instead of one per cache)
    private final int[] anyRegionLines;
    private long clock;

    /**
     * Returns the counters a machine's caches share (see {@link #mayAnyHoldRegion}): one array
     * for all the caches of one fabric.
     */
    static int[] sharedRegionFilter() {
        return new int[1 << FILTER_BITS];
    }

    DataCache(CacheGeometry geometry, int[] anyRegionLines) {
        if (anyRegionLines.length != 1 << FILTER_BITS) {
            throw new IllegalArgumentException("the shared filter must come from sharedRegionFilter()");
        }
        this.anyRegionLines = anyRegionLines;
        this.lineSize = geometry.lineSize();
        int lineShift = Integer.numberOfTrailingZeros(lineSize);
        this.setMask = geometry.sets() - 1;
        this.ways = geometry.ways();
        int slots = geometry.sets() * ways;
        this.tags = new long[slots];
        Arrays.fill(tags, INVALID);
        this.dirty = new boolean[slots];
        this.lastUse = new long[slots];
        this.data = new byte[slots][];
        this.regionShift = Math.max(0, REGION_SHIFT - lineShift);
    }

    /** Returns the region (4 KiB page) number of {@code line}. */
    long regionOf(long line) {
        return line >>> regionShift;
    }

    /** Returns how many lines a region holds. */
    int linesPerRegion() {
        return 1 << regionShift;
    }

    /**
     * Returns false only if no line of {@code region} is held: an exact negative, a possible
     * positive (a counting filter), so a range operation can skip whole regions.
     */
    boolean mayHoldRegion(long region) {
        return regionLines[filterIndex(region)] != 0;
    }

    /**
     * Returns false only if no cache sharing this one's filter holds a line of {@code region}:
     * exact negative, possible positive, as {@link #mayHoldRegion}.
     */
    boolean mayAnyHoldRegion(long region) {
        return anyRegionLines[filterIndex(region)] != 0;
    }

    /**
     * Returns false only if no cache sharing this one's filter, other than this one, holds a line
     * of {@code region}: exact negative, possible positive. The shared count less this cache's
     * own, so one look answers for every other cache.
     */
    boolean othersMayHoldRegion(long region) {
        int i = filterIndex(region);
        return anyRegionLines[i] != regionLines[i];
    }

    private static int filterIndex(long region) {
        return (int) ((region * GOLDEN) >>> (Long.SIZE - FILTER_BITS));
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

    /**
     * Makes {@code slot} hold {@code line}, clean, replacing what it held (the caller has written
     * back a dirty victim), and returns the slot's data array for the caller to fill with the
     * line's contents before anything else reads it.
     */
    byte[] install(int slot, long line) {
        if (data[slot] == null) {
            data[slot] = new byte[lineSize];
        }
        if (tags[slot] != INVALID) {
            int old = filterIndex(regionOf(tags[slot]));
            regionLines[old]--;
            anyRegionLines[old]--;
        }
        int idx = filterIndex(regionOf(line));
        regionLines[idx]++;
        anyRegionLines[idx]++;
        tags[slot] = line;
        dirty[slot] = false;
        lastUse[slot] = ++clock;
        return data[slot];
    }

    /** Drops the line in {@code slot}, discarding its data even if dirty. */
    void drop(int slot) {
        if (tags[slot] != INVALID) {
            int idx = filterIndex(regionOf(tags[slot]));
            regionLines[idx]--;
            anyRegionLines[idx]--;
        }
        tags[slot] = INVALID;
        dirty[slot] = false;
    }
}

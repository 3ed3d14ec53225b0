package org.dmalib.hw.internal.smmu;

import org.dmalib.hw.IotlbGeometry;

/**
 * The SMMU's translation caches: a fully associative micro-TLB, a set-associative main TLB and a
 * walk cache of table descriptors per level (0 to 2), all keyed by ASID. Entries stay until an
 * invalidation drops them or a fill evicts them: nothing is dropped behind the driver's back, so
 * a missing invalidation lets a device keep using an old translation.
 *
 * <p>Not thread-safe: the owning SMMU serialises access.
 */
final class Iotlb {
    private final TlbArray micro;
    private final TlbArray main;
    private final TlbArray[] walk;
    private final SmmuStats stats;
    // whether the latest lookup was answered by the micro-TLB
    private boolean lastHitMicro;

    Iotlb(IotlbGeometry g, SmmuStats stats) {
        this.micro = new TlbArray(g.microTlbEntries(), g.microTlbEntries());
        this.main = new TlbArray(g.mainTlbEntries(), g.mainTlbWays());
        this.walk = new TlbArray[] {
            new TlbArray(g.walkCacheL0(), g.walkCacheWays()),
            new TlbArray(g.walkCacheL1(), g.walkCacheWays()),
            new TlbArray(g.walkCacheL2(), g.walkCacheWays()),
        };
        this.stats = stats;
    }

    /**
     * Looks {@code va} up in the micro-TLB, then the main TLB (one set per possible leaf size of
     * the granule), refilling the micro-TLB on a main-TLB hit.
     *
     * @return the packed {@link Leaf}, or {@link TlbArray#MISS}
     */
    long lookup(int asid, long va, int granuleShift) {
        lastHitMicro = false;
        if (!micro.absent()) {
            long hit = micro.lookupAnySize(asid, va);
            if (hit != TlbArray.MISS) {
                stats.microTlbHits++;
                lastHitMicro = true;
                return hit;
            }
            stats.microTlbMisses++;
        }
        if (!main.absent()) {
            int bitsPerLevel = granuleShift - 3;
            for (int level = 3; level >= Geometry.firstBlockLevel(granuleShift); level--) {
                long hit = main.lookup(asid, va, Geometry.levelShift(level, bitsPerLevel));
                if (hit != TlbArray.MISS) {
                    stats.mainTlbHits++;
                    micro.insert(asid, va, Leaf.shift(hit), Leaf.level(hit), hit);
                    return hit;
                }
            }
            stats.mainTlbMisses++;
        }
        return TlbArray.MISS;
    }

    /**
     * Returns whether the latest {@link #lookup} was answered by the micro-TLB: its only effect
     * then was one micro-TLB hit counted.
     */
    boolean lastHitMicro() {
        return lastHitMicro;
    }

    /**
     * Returns the micro-TLB's {@link TlbArray#changes}: while it stays the same, a micro-TLB
     * lookup of the same ASID and 4 KiB page (entries cover whole 4 KiB pages at least) finds
     * the same entry.
     */
    long microChanges() {
        return micro.changes();
    }

    /** Caches a translation the walker produced in both TLBs. */
    void fill(int asid, long va, long leaf) {
        main.insert(asid, va, Leaf.shift(leaf), Leaf.level(leaf), leaf);
        micro.insert(asid, va, Leaf.shift(leaf), Leaf.level(leaf), leaf);
    }

    /** Returns whether there is any walk-cache level. */
    boolean hasWalkCache() {
        return !walk[0].absent() || !walk[1].absent() || !walk[2].absent();
    }

    /**
     * Looks up the table descriptor of {@code level} (0 to 2) covering {@code va}.
     *
     * @return the next-level table address with APTable bits in bits 1:0, or {@link TlbArray#MISS}
     */
    long walkLookup(int level, int asid, long va, int shift) {
        return walk[level].lookup(asid, va, shift);
    }

    /** Caches the table descriptor of {@code level} (0 to 2) covering {@code va}. */
    void walkFill(int level, int asid, long va, int shift, long value) {
        walk[level].insert(asid, va, shift, level, value);
    }

    /**
     * Drops the translations of {@code asid} (any if negative) overlapping {@code [start, end)}:
     * TLB entries of leaf level {@code ttl} (any if 0), and unless {@code leafOnly} also every
     * walk-cache entry in the range.
     */
    void invalidateRange(int asid, long start, long end, int ttl, boolean leafOnly) {
        int n = micro.invalidateRange(asid, start, end, ttl) + main.invalidateRange(asid, start, end, ttl);
        if (!leafOnly) {
            for (TlbArray w : walk) {
                n += w.invalidateRange(asid, start, end, 0);
            }
        }
        stats.tlbEntriesInvalidated += n;
    }

    /** Drops everything of {@code asid}, or everything if {@code asid} is negative. */
    void invalidateAsid(int asid) {
        int n = micro.invalidateAsid(asid) + main.invalidateAsid(asid);
        for (TlbArray w : walk) {
            n += w.invalidateAsid(asid);
        }
        stats.tlbEntriesInvalidated += n;
    }
}

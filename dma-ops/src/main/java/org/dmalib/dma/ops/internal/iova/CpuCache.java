package org.dmalib.dma.ops.internal.iova;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * One CPU's state in an {@link IovaDomain}: per size class a {@code loaded} and a {@code prev}
 * magazine ({@code struct iova_cpu_rcache}), and the ranges this CPU handed out (first granule
 * to size) that are not yet freed.
 *
 * <p>Layout: the lock word, the magazines' tops and the magazines themselves of every CPU are one
 * {@code long[]} of the domain, CPU {@code c}'s block of {@value #STRIDE} longs at
 * {@code c * STRIDE}, so that the fast path's chain of loads is the domain's array, the top, the
 * pfn (separate objects per CPU and magazine cost two to four more). Each class has two magazine
 * regions of {@value #REGION} longs, aligned to {@value #REGION} in the array; a top is the array
 * index of the next free slot of its region, so its low bits are the magazine's size. Swapping
 * {@code loaded} and {@code prev} swaps two tops. A magazine going to or coming from the depot is
 * copied to or from a {@link Magazine} (once per {@value Magazine#IOVA_MAG_SIZE} operations at
 * most, the magazines' hysteresis).
 *
 * <p>Outstanding ranges: a pop leaves the range it hands out in its slot, marked as outstanding
 * (stored as {@code ~pfn}, negative: pfns are at least 1), which is the slot at its magazine's
 * new top. A free of that range on this CPU finds the mark at the top of its class's loaded
 * magazine, and the push writes the range back into that very slot: a pop and its free touch no
 * map. Invariant: in each region only the slot at the region's top may be negative (a mark);
 * every other slot is a cached pfn, a stale one or 0. An operation about to overwrite a mark, or
 * to move a top away from one, first spills it into the map ({@link #spill}), so each outstanding
 * range of this CPU is in exactly one of the map and the (at most {@code 2 * CLASSES}) marks.
 *
 * <p>Locking: a spin lock per CPU as Linux's ({@code cpu_rcache->lock}) that parks after a while:
 * one atomic exchange to take it and a release store to drop it (a monitor costs two
 * compare-and-sets). Linux has one lock per CPU and class; one per CPU covers the outstanding
 * ranges too, so an allocation or a same-CPU free takes one uncontended lock. Not reentrant.
 * {@link #tryPop} and {@link #tryPush} take it themselves; every other method but
 * {@link #lock}/{@link #unlock} requires the caller to hold it.
 */
final class CpuCache {
    private static final int CLASSES = IovaDomain.RANGE_CACHE_MAX_SIZE;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    // the lock word: 16 longs (128 bytes, two cache lines: the pair an adjacent-line prefetcher
    // fetches together) into the block, so that no word of the previous block (or the array's
    // header) shares its lines; the tops follow it (block-relative 17 to 28, before FIRST)
    private static final int LOCK = 16;
    // loaded's top of class o at TOPS + o, prev's at TOPS + CLASSES + o (block-relative)
    private static final int TOPS = LOCK + 1;
    // a magazine region: 128 longs, the power of two above IOVA_MAG_SIZE (its last slot unused),
    // so that a top's low bits are its magazine's size
    static final int REGION = 128;
    private static final int SIZE_MASK = REGION - 1;
    // the first region: one region's worth of longs holds the padding, the lock and the tops
    private static final int FIRST = REGION;
    /** Longs per CPU: the header region and two regions per class (a multiple of REGION). */
    static final int STRIDE = FIRST + 2 * CLASSES * REGION;
    // 16 longs = 128 bytes after the last block: no other object shares its lines (as LOCK)
    private static final int PAD = 16;
    /** {@link #free}: the range is cached here. */
    static final long FREED = -1;
    /** {@link #free}: the range is cached here, and a magazine went to the depot. */
    static final long FREED_TO_DEPOT = -2;
    // busy-wait this many times before parking: a holder leaves within a magazine operation
    private static final int SPINS_BEFORE_YIELD = 100;

    // the domain's array and this CPU's block in it
    private final long[] words;
    private final int b;
    // the ranges this CPU handed out that are outstanding and not marked in a slot
    private final PfnSizeMap outstanding = new PfnSizeMap();
    // the domain's depots (one per class) and clock: read on the slow paths only
    private final Depot[] depots;
    private final LongSupplier nanoClock;
    // the magazine handed to the depot in exchange for a full one (or for an empty one back)
    private Magazine spare = new Magazine();

    /**
     * Returns a zeroed array for the blocks of {@code cpus} CPUs.
     *
     * @param cpus 1 to {@link IovaDomain#MAX_CPUS}
     */
    static long[] newWords(int cpus) {
        return new long[cpus * STRIDE + PAD];
    }

    /**
     * Creates the empty caches of one CPU in its block of {@code words}.
     *
     * @param words the domain's array from {@link #newWords}
     * @param cpu this CPU's index: its block starts at {@code cpu * STRIDE}
     * @param depots the domain's depots, indexed by class
     * @param nanoClock the domain's clock, read when a magazine goes to the depot
     */
    CpuCache(long[] words, int cpu, Depot[] depots, LongSupplier nanoClock) {
        this.words = words;
        this.b = cpu * STRIDE;
        this.depots = depots;
        this.nanoClock = nanoClock;
        for (int order = 0; order < CLASSES; order++) {
            words[b + TOPS + order] = b + FIRST + (2L * order) * REGION;
            words[b + TOPS + CLASSES + order] = b + FIRST + (2L * order + 1) * REGION;
        }
    }

    /**
     * The common case of {@code alloc_iova_fast} under the lock of the CPU whose block starts at
     * {@code b}: the top of the loaded magazine of {@code order}, if it is at or below
     * {@code maxPfn} and no mark above it needs a spill; marked as outstanding in its slot.
     *
     * @param w the domain's array
     * @param b the CPU's block, {@code cpu * STRIDE}
     * @param order the class, 0 to {@code RANGE_CACHE_MAX_SIZE - 1}
     * @param maxPfn the highest first granule that fits the caller's limit
     * @return the first granule, or 0 if the caller must take the general path ({@link #alloc});
     *     then nothing changed
     */
    static long tryPop(long[] w, int b, int order, long maxPfn) {
        // the per-CPU lock: uncontended while each thread drives its own CPU index
        lock(w, b);
        try {
            int t = b + TOPS + order;
            int top = (int) w[t];
            if ((top & SIZE_MASK) != 0 && w[top] >= 0) {
                long pfn = w[top - 1];
                if (pfn <= maxPfn) {
                    w[top - 1] = ~pfn;
                    w[t] = top - 1L;
                    return pfn;
                }
            }
            return 0;
        } finally {
            unlock(w, b);
        }
    }

    /**
     * The common case of {@code free_iova_fast} under the lock of the CPU whose block starts at
     * {@code b}: {@code pfn} is the range this CPU's loaded magazine of {@code order} popped
     * last, its mark still at the top; the push writes it back into that slot.
     *
     * @param w the domain's array
     * @param b the CPU's block, {@code cpu * STRIDE}
     * @param order the class, 0 to {@code RANGE_CACHE_MAX_SIZE - 1}
     * @param pfn the range's first granule
     * @return whether it was cached here; if not, the caller must take the general path
     *     ({@link #free}), and nothing changed
     */
    static boolean tryPush(long[] w, int b, int order, long pfn) {
        // the per-CPU lock: the check and the push are one step
        lock(w, b);
        try {
            int t = b + TOPS + order;
            int top = (int) w[t];
            // a mark has at most IOVA_MAG_SIZE - 1 cached ranges below it (a pop left it), so
            // the push cannot overflow. pfn > 0: the complement of a bad pfn below 1 is no mark
            // but may equal a slot's value
            if (pfn > 0 && w[top] == ~pfn) {
                w[top] = pfn;
                w[t] = top + 1L;
                return true;
            }
            return false;
        } finally {
            unlock(w, b);
        }
    }

    /**
     * {@code alloc_iova_fast}'s cached part in general, under this CPU's lock: a range of class
     * {@code order} at or below {@code maxPfn} from the magazines (or the depot), marked as
     * outstanding in its slot.
     *
     * @param order the class, 0 to {@code RANGE_CACHE_MAX_SIZE - 1}
     * @param maxPfn the highest first granule that fits the caller's limit
     * @return the first granule, or 0 on a miss (nothing changed but a refill from the depot, or
     *     a mark moved to the map)
     */
    long alloc(int order, long maxPfn) {
        long[] w = words;
        lock(w, b);
        try {
            return get(w, order, maxPfn);
        } finally {
            unlock(w, b);
        }
    }

    /**
     * {@code free_iova_fast}'s cached part in general, under this CPU's lock: if {@code pfn} is
     * outstanding here with the size of class {@code order}, takes it off and caches the range.
     *
     * @param order the class, 0 to {@code RANGE_CACHE_MAX_SIZE - 1}
     * @param pfn the range's first granule
     * @return {@link #FREED} or {@link #FREED_TO_DEPOT} if it was cached here, else the size it
     *     is outstanding here with (0 if none; then nothing changed)
     */
    long free(int order, long pfn) {
        long[] w = words;
        lock(w, b);
        try {
            long rounded = 1L << order;
            long found = removeOutstanding(pfn, rounded);
            if (found != rounded) {
                return found;
            }
            return put(w, order, pfn) ? FREED_TO_DEPOT : FREED;
        } finally {
            unlock(w, b);
        }
    }

    /**
     * Removes {@code pfn} from this CPU's outstanding ranges if its size is {@code size}: the
     * map, then the marks. The caller holds this CPU's lock.
     *
     * @return the size {@code pfn} is outstanding here with (removed only if it equals
     *     {@code size}), or 0 if it is not outstanding here
     */
    long removeOutstanding(long pfn, long size) {
        long found = outstanding.removeIfValue(pfn, size);
        // pfn < 1: its complement is no mark but may equal a slot's value
        if (found != 0 || pfn < 1) {
            return found;
        }
        long[] w = words;
        for (int i = 0; i < 2 * CLASSES; i++) {
            int top = (int) w[b + TOPS + i];
            if (w[top] == ~pfn) {
                long marked = 1L << (i % CLASSES);
                if (marked == size) {
                    w[top] = 0;
                }
                return marked;
            }
        }
        return 0;
    }

    /** Returns how many ranges this CPU handed out that are outstanding; under its lock. */
    long outstandingCount() {
        long[] w = words;
        long n = outstanding.count();
        for (int i = 0; i < 2 * CLASSES; i++) {
            if (w[(int) w[b + TOPS + i]] < 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Moves the mark at slot {@code at} of a region of class {@code order}, if any, into the map
     * (before the slot is overwritten or stops being its region's top).
     */
    private void spill(long[] w, int at, int order) {
        long v = w[at];
        if (v < 0) {
            record(outstanding, ~v, 1L << order);
            w[at] = 0;
        }
    }

    /**
     * {@code __iova_rcache_get}: a cached range of class {@code order} whose first granule is at
     * or below {@code maxPfn}, or 0; refills from the depot when both magazines are empty.
     */
    private long get(long[] w, int order, long maxPfn) {
        int t = b + TOPS + order;
        int top = (int) w[t];
        if ((top & SIZE_MASK) == 0) {
            top = refill(order);
            if (top == 0) {
                return 0;
            }
        }
        // the pop moves the top down: a mark at the old top goes to the map
        spill(w, top, order);
        // iova_magazine_pop: the topmost pfn at or below the limit, swapped with the top
        int i = top - 1;
        long pfn = w[i];
        if (pfn > maxPfn) {
            i = below(w, top, maxPfn);
            if (i < 0) {
                return 0;
            }
            pfn = w[i];
            w[i] = w[top - 1];
        }
        w[top - 1] = ~pfn;
        w[t] = top - 1L;
        return pfn;
    }

    /** The rest of the pop's search: the index of the topmost pfn at or below the limit, or -1. */
    private static int below(long[] w, int top, long maxPfn) {
        int base = top & ~SIZE_MASK;
        for (int i = top - 2; i >= base; i--) {
            if (w[i] <= maxPfn) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The loaded magazine of {@code order} is empty: load the previous one, or the depot's.
     *
     * @return the new loaded top, or 0 if there is nothing to load
     */
    private int refill(int order) {
        long[] w = words;
        int lt = b + TOPS + order;
        int pt = b + TOPS + CLASSES + order;
        int loaded = (int) w[lt];
        int prev = (int) w[pt];
        if ((prev & SIZE_MASK) != 0) {
            w[lt] = prev;
            w[pt] = loaded;
            return prev;
        }
        Magazine full = depots[order].take(spare);
        if (full == null) {
            return 0;
        }
        // the copy overwrites the empty magazine's top slot
        spill(w, loaded, order);
        int top = full.moveTo(w, loaded);
        spare = full;
        w[lt] = top;
        return top;
    }

    /**
     * {@code __iova_rcache_insert}; never fails (a fresh magazine cannot fail to allocate).
     *
     * @return whether a magazine went to the depot (the caller then runs the due reclaim)
     */
    boolean put(int order, long pfn) {
        return put(words, order, pfn);
    }

    private boolean put(long[] w, int order, long pfn) {
        int t = b + TOPS + order;
        int top = (int) w[t];
        if ((top & SIZE_MASK) == Magazine.IOVA_MAG_SIZE) {
            return putFull(order, pfn);
        }
        spill(w, top, order);
        w[top] = pfn;
        w[t] = top + 1L;
        return false;
    }

    /** The loaded magazine of {@code order} is full: swap in the previous one, or to the depot. */
    private boolean putFull(int order, long pfn) {
        long[] w = words;
        int lt = b + TOPS + order;
        int pt = b + TOPS + CLASSES + order;
        int loaded = (int) w[lt];
        int prev = (int) w[pt];
        boolean pushed = false;
        int top;
        // a full magazine's top slot holds no mark (a pop leaves at most 126 below its mark);
        // spilled all the same, as the top moves away from it
        spill(w, loaded, order);
        if ((prev & SIZE_MASK) != Magazine.IOVA_MAG_SIZE) {
            w[pt] = loaded;
            top = prev;
            spill(w, top, order);
        } else {
            int base = loaded & ~SIZE_MASK;
            Magazine m = spare;
            m.load(w, base, loaded - base);
            // the clock is read on this slow path only
            spare = depots[order].push(m, nanoClock.getAsLong());
            pushed = true;
            top = base;
        }
        w[top] = pfn;
        w[lt] = top + 1L;
        return pushed;
    }

    /** Records a range this CPU hands out in its outstanding map. */
    void record(long pfn, long rounded) {
        record(outstanding, pfn, rounded);
    }

    private static void record(PfnSizeMap map, long pfn, long rounded) {
        long old = map.putIfAbsent(pfn, rounded);
        if (old != 0) {
            throw handedOutTwice(pfn, old, rounded);
        }
    }

    private static IllegalStateException handedOutTwice(long pfn, long old, long rounded) {
        return new IllegalStateException(String.format(
                "pfn=0x%x handed out twice (sizes %d and %d)", pfn, old, rounded));
    }

    /** {@code free_cpu_cached_iovas}: both magazines of every class back to the tree. */
    void flush(IovaTree tree) {
        long[] w = words;
        for (int order = 0; order < CLASSES; order++) {
            for (int t = b + TOPS + order; t < b + TOPS + 2 * CLASSES; t += CLASSES) {
                int top = (int) w[t];
                int base = top & ~SIZE_MASK;
                // the top moves down to the base: its mark (an outstanding range) to the map
                spill(w, top, order);
                tree.freeAll(w, base, top - base, 1L << order);
                w[t] = base;
            }
        }
    }

    /** Returns how many ranges of class {@code order} this CPU caches. */
    int cachedCount(int order) {
        return ((int) words[b + TOPS + order] & SIZE_MASK)
                + ((int) words[b + TOPS + CLASSES + order] & SIZE_MASK);
    }

    /** Takes this CPU's lock: one atomic exchange when uncontended. */
    void lock() {
        lock(words, b);
    }

    private static void lock(long[] w, int b) {
        // a test-and-set: an exchange measured faster than a compare-and-set here (x86-64's
        // xchg against lock cmpxchg); writing 1 over a held lock's 1 changes nothing
        if ((long) WORDS.getAndSet(w, b + LOCK, 1L) != 0L) {
            lockSlow(w, b + LOCK);
        }
    }

    /** Releases this CPU's lock; the release store publishes the critical section's writes. */
    void unlock() {
        unlock(words, b);
    }

    private static void unlock(long[] w, int b) {
        WORDS.setRelease(w, b + LOCK, 0L);
    }

    private static void lockSlow(long[] w, int lock) {
        for (int spins = 0; ; spins++) {
            // read before the CAS: spinning on a read keeps the line shared, not bouncing
            if ((long) WORDS.getOpaque(w, lock) == 0L && WORDS.compareAndSet(w, lock, 0L, 1L)) {
                return;
            }
            if (spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                // the holder may be descheduled (more threads than CPUs): sleep, let it run
                LockSupport.parkNanos(1);
            }
        }
    }
}

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
 * <p>Not thread-safe by itself: every method but {@link #lock}/{@link #unlock} requires the caller
 * to hold the per-CPU lock. It is a spin lock as Linux's ({@code cpu_rcache->lock}) that parks
 * after a while: one compare-and-set to take it and a release store to drop it (a monitor costs
 * two compare-and-sets). Linux has one lock per CPU and class; one per CPU covers the outstanding
 * map too, so an allocation or a same-CPU free takes one uncontended lock. Not reentrant.
 */
final class CpuCache {
    // the lock word is the middle of its own 16-long array: no other data shares its cache line
    private static final int LOCK_SLOT = 8;
    private static final VarHandle LOCK = MethodHandles.arrayElementVarHandle(long[].class);
    // busy-wait this many times before parking: a holder leaves within a magazine operation
    private static final int SPINS_BEFORE_YIELD = 100;

    private final long[] lockLine = new long[2 * LOCK_SLOT];
    private final Magazine[] loaded = new Magazine[IovaDomain.RANGE_CACHE_MAX_SIZE];
    private final Magazine[] prev = new Magazine[IovaDomain.RANGE_CACHE_MAX_SIZE];
    /** The ranges this CPU handed out that are outstanding. */
    final PfnSizeMap outstanding = new PfnSizeMap();
    // the domain's depots (one per class) and clock: read on the slow paths only, so the fast
    // path loads neither
    private final Depot[] depots;
    private final LongSupplier nanoClock;

    /**
     * Creates the empty caches of one CPU.
     *
     * @param depots the domain's depots, indexed by class
     * @param nanoClock the domain's clock, read when a magazine goes to the depot
     */
    CpuCache(Depot[] depots, LongSupplier nanoClock) {
        this.depots = depots;
        this.nanoClock = nanoClock;
        for (int order = 0; order < loaded.length; order++) {
            loaded[order] = new Magazine();
            prev[order] = new Magazine();
        }
    }

    /**
     * {@code __iova_rcache_get}: a cached range of class {@code order} whose first granule is at
     * or below {@code maxPfn}, or 0; refills from the depot when both magazines are empty.
     */
    long get(int order, long maxPfn) {
        Magazine m = loaded[order];
        if (m.isEmpty()) {
            m = refill(order);
            if (m == null) {
                return 0;
            }
        }
        return m.pop(maxPfn);
    }

    /** The loaded magazine of {@code order} is empty: load the previous one, or the depot's. */
    private Magazine refill(int order) {
        Magazine m = loaded[order];
        if (!prev[order].isEmpty()) {
            loaded[order] = prev[order];
            prev[order] = m;
        } else {
            Magazine full = depots[order].take(m);
            if (full == null) {
                return null;
            }
            loaded[order] = full;
        }
        return loaded[order];
    }

    /**
     * {@code __iova_rcache_insert}; never fails (a fresh magazine cannot fail to allocate).
     *
     * @return whether a magazine went to the depot (the caller then runs the due reclaim)
     */
    boolean put(int order, long pfn) {
        Magazine m = loaded[order];
        if (!m.isFull()) {
            m.push(pfn);
            return false;
        }
        return putFull(order, pfn);
    }

    /** The loaded magazine of {@code order} is full: swap in the previous one, or to the depot. */
    private boolean putFull(int order, long pfn) {
        Magazine m = loaded[order];
        boolean pushed = false;
        if (!prev[order].isFull()) {
            loaded[order] = prev[order];
            prev[order] = m;
        } else {
            // the clock is read on this slow path only
            loaded[order] = depots[order].push(m, nanoClock.getAsLong());
            pushed = true;
        }
        loaded[order].push(pfn);
        return pushed;
    }

    /** Records a range this CPU hands out in its outstanding map. */
    void record(long pfn, long rounded) {
        long old = outstanding.putIfAbsent(pfn, rounded);
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
        for (int order = 0; order < loaded.length; order++) {
            loaded[order].drainTo(tree, 1L << order);
            prev[order].drainTo(tree, 1L << order);
        }
    }

    /** Returns how many ranges of class {@code order} this CPU caches. */
    int cachedCount(int order) {
        return loaded[order].size() + prev[order].size();
    }

    /** Takes the per-CPU lock: one compare-and-set when uncontended. */
    void lock() {
        if (!LOCK.compareAndSet(lockLine, LOCK_SLOT, 0L, 1L)) {
            lockSlow();
        }
    }

    /** Releases the per-CPU lock; the release store publishes the critical section's writes. */
    void unlock() {
        LOCK.setRelease(lockLine, LOCK_SLOT, 0L);
    }

    private void lockSlow() {
        for (int spins = 0; ; spins++) {
            // read before the CAS: spinning on a read keeps the line shared, not bouncing
            if ((long) LOCK.getOpaque(lockLine, LOCK_SLOT) == 0L
                    && LOCK.compareAndSet(lockLine, LOCK_SLOT, 0L, 1L)) {
                return;
            }
            if (spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                // the holder may be descheduled (more threads than CPUs): sleep, let it run
                LockSupport.parkNanos(this, 1);
            }
        }
    }
}

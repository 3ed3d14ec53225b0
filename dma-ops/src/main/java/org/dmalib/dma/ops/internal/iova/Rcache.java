package org.dmalib.dma.ops.internal.iova;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One size class of the IOVA range cache ({@code struct iova_rcache}): per CPU a
 * {@code loaded} and a {@code prev} magazine under a per-CPU lock, and a shared depot of full
 * magazines under the class lock.
 *
 * <p>Depot reclaim: Linux arms a delayed work item ({@code IOVA_DEPOT_DELAY}) on every depot
 * push; when it runs it frees one magazine back to the tree while the depot holds more
 * magazines than there are CPUs, and re-arms itself only then. There are no timers here: the
 * work item is a due time on the injected clock, run (catching up one magazine per elapsed
 * period, as if it had run on time) after a depot push on the free path, and by
 * {@link #reclaim}.
 *
 * <p>Lock order, as in Linux: per-CPU lock, then the depot lock, then the tree lock.
 */
final class Rcache {
    // IOVA_DEPOT_DELAY = msecs_to_jiffies(100): the depot reclaim period (iova.c, v6.7)
    static final long IOVA_DEPOT_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final long size;
    private final IovaTree tree;
    private final int cpus;
    private final LongSupplier nanoClock;
    private final CpuRcache[] perCpu;

    // rcache->lock: the depot list, its spare empty magazines and the reclaim work's state
    private final Object depotLock = new Object();
    @GuardedBy("depotLock")
    private final ArrayDeque<Magazine> depot = new ArrayDeque<>();
    @GuardedBy("depotLock")
    private final ArrayDeque<Magazine> spares = new ArrayDeque<>();
    @GuardedBy("depotLock")
    private boolean armed;
    @GuardedBy("depotLock")
    private long dueNanos;

    Rcache(long size, IovaTree tree, int cpus, LongSupplier nanoClock) {
        this.size = size;
        this.tree = tree;
        this.cpus = cpus;
        this.nanoClock = nanoClock;
        this.perCpu = new CpuRcache[cpus];
        for (int i = 0; i < cpus; i++) {
            perCpu[i] = new CpuRcache();
        }
    }

    /**
     * {@code __iova_rcache_get}: a cached range whose last granule is at or below
     * {@code limitPfn}, or 0.
     */
    long get(int cpu, long limitPfn) {
        CpuRcache c = perCpu[cpu];
        // the per-CPU lock: uncontended unless two threads drive the same CPU index
        synchronized (c) {
            if (c.loaded.isEmpty()) {
                if (!c.prev.isEmpty()) {
                    c.swap();
                } else if (!takeFromDepot(c)) {
                    return 0;
                }
            }
            return c.loaded.pop(limitPfn - size + 1);
        }
    }

    /** {@code __iova_rcache_insert}; never fails (a fresh magazine cannot fail to allocate). */
    void put(int cpu, long pfn) {
        CpuRcache c = perCpu[cpu];
        boolean pushed = false;
        synchronized (c) {
            if (c.loaded.isFull()) {
                if (!c.prev.isFull()) {
                    c.swap();
                } else {
                    pushToDepot(c);
                    pushed = true;
                }
            }
            c.loaded.push(pfn);
        }
        if (pushed) {
            // the depot slow path: the clock is read only here, outside the per-CPU lock
            reclaim(nanoClock.getAsLong());
        }
    }

    /**
     * Runs the depot reclaim work if it is due at {@code nowNanos}: one magazine back to the
     * tree per elapsed {@link #IOVA_DEPOT_DELAY_NANOS} while the depot holds more magazines than
     * CPUs ({@code iova_depot_work_func}).
     *
     * @return how many magazines went back to the tree
     */
    int reclaim(long nowNanos) {
        int freed = 0;
        while (true) {
            Magazine m;
            synchronized (depotLock) {
                if (!armed || nowNanos - dueNanos < 0) {
                    return freed;
                }
                if (depot.size() <= cpus) {
                    armed = false;
                    return freed;
                }
                m = depot.pop();
                dueNanos += IOVA_DEPOT_DELAY_NANOS;
            }
            // as in Linux the tree is fed outside the depot lock; the magazine is ours alone
            tree.freeAll(m.pfns, m.size, size);
            m.size = 0;
            synchronized (depotLock) {
                spares.push(m);
            }
            freed++;
        }
    }

    /** {@code free_cpu_cached_iovas} for one class: both magazines of {@code cpu} to the tree. */
    void flushCpu(int cpu) {
        CpuRcache c = perCpu[cpu];
        synchronized (c) {
            tree.freeAll(c.loaded.pfns, c.loaded.size, size);
            c.loaded.size = 0;
            tree.freeAll(c.prev.pfns, c.prev.size, size);
            c.prev.size = 0;
        }
    }

    /** {@code free_global_cached_iovas} for one class: every depot magazine to the tree. */
    void flushDepot() {
        synchronized (depotLock) {
            for (Magazine m = depot.poll(); m != null; m = depot.poll()) {
                tree.freeAll(m.pfns, m.size, size);
                m.size = 0;
                spares.push(m);
            }
        }
    }

    /** Returns how many ranges {@code cpu} holds in this class. */
    int cachedCount(int cpu) {
        CpuRcache c = perCpu[cpu];
        synchronized (c) {
            return c.loaded.size + c.prev.size;
        }
    }

    /** Returns how many full magazines the depot holds. */
    int depotSize() {
        synchronized (depotLock) {
            return depot.size();
        }
    }

    private boolean takeFromDepot(CpuRcache c) {
        synchronized (depotLock) {
            Magazine full = depot.poll();
            if (full == null) {
                return false;
            }
            // Linux frees the empty loaded magazine; it is kept for reuse (no allocation)
            spares.push(c.loaded);
            c.loaded = full;
            return true;
        }
    }

    private void pushToDepot(CpuRcache c) {
        synchronized (depotLock) {
            depot.push(c.loaded);
            // schedule_delayed_work does nothing when the work is already pending
            if (!armed) {
                armed = true;
                dueNanos = nanoClock.getAsLong() + IOVA_DEPOT_DELAY_NANOS;
            }
            Magazine fresh = spares.poll();
            c.loaded = fresh != null ? fresh : new Magazine();
        }
    }

    /** {@code struct iova_cpu_rcache}: guarded by its own monitor. */
    private static final class CpuRcache {
        Magazine loaded = new Magazine();
        Magazine prev = new Magazine();

        void swap() {
            Magazine t = loaded;
            loaded = prev;
            prev = t;
        }
    }
}

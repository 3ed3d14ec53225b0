package org.dmalib.dma.ops.internal.iova;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The depot of one size class ({@code rcache->depot}): an unbounded stack of full magazines
 * shared by all CPUs, under the class lock ({@code rcache->lock}), with the reclaim work of
 * Linux v6.7 ("Manage the depot list size").
 *
 * <p>Reclaim: Linux arms a delayed work item ({@code IOVA_DEPOT_DELAY}) on every depot push
 * ({@code schedule_delayed_work} does nothing while it is pending); when it runs it returns one
 * magazine to the tree while the depot holds more magazines than there are CPUs, and re-arms
 * itself only then. There are no timers here: the work item is a due time on the domain's clock,
 * run by {@link #reclaim} (after a depot push on the free path, and on request), catching up one
 * magazine per elapsed period as if it had run on time.
 *
 * <p>Empty magazines are kept for reuse (Linux frees and allocates them), so the steady state
 * allocates nothing.
 *
 * <p>Thread-safety: safe for concurrent use. Lock order: a CPU's lock, then this depot's, then
 * the tree's.
 */
final class Depot {
    // IOVA_DEPOT_DELAY = msecs_to_jiffies(100): the depot reclaim period (iova.c, v6.7)
    static final long IOVA_DEPOT_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final long size;
    private final int cpus;

    @GuardedBy("this")
    private final ArrayDeque<Magazine> full = new ArrayDeque<>();
    @GuardedBy("this")
    private final ArrayDeque<Magazine> spares = new ArrayDeque<>();
    @GuardedBy("this")
    private boolean armed;
    @GuardedBy("this")
    private long dueNanos;

    Depot(long size, int cpus) {
        this.size = size;
        this.cpus = cpus;
    }

    /** {@code iova_depot_pop}: a full magazine in exchange for {@code empty}, or null. */
    synchronized Magazine take(Magazine empty) {
        Magazine m = full.poll();
        if (m != null) {
            spares.push(empty);
        }
        return m;
    }

    /**
     * {@code iova_depot_push} of a full magazine at {@code nowNanos}, arming the reclaim work
     * if it is not pending; returns an empty magazine to load instead.
     */
    synchronized Magazine push(Magazine m, long nowNanos) {
        full.push(m);
        if (!armed) {
            armed = true;
            dueNanos = nowNanos + IOVA_DEPOT_DELAY_NANOS;
        }
        Magazine fresh = spares.poll();
        return fresh != null ? fresh : new Magazine();
    }

    /**
     * Runs the reclaim work if due at {@code nowNanos} ({@code iova_depot_work_func}).
     *
     * @return how many magazines went back to {@code tree}
     */
    int reclaim(long nowNanos, IovaTree tree) {
        int freed = 0;
        while (true) {
            Magazine m;
            synchronized (this) {
                if (!armed || nowNanos - dueNanos < 0) {
                    return freed;
                }
                if (full.size() <= cpus) {
                    armed = false;
                    return freed;
                }
                m = full.pop();
                dueNanos += IOVA_DEPOT_DELAY_NANOS;
            }
            // as in Linux the tree is fed outside the depot lock: the magazine is ours alone
            m.drainTo(tree, size);
            synchronized (this) {
                spares.push(m);
            }
            freed++;
        }
    }

    /** {@code free_global_cached_iovas} for this class: every magazine back to the tree. */
    synchronized void flush(IovaTree tree) {
        for (Magazine m = full.poll(); m != null; m = full.poll()) {
            m.drainTo(tree, size);
            spares.push(m);
        }
    }

    /** Returns how many full magazines the depot holds. */
    synchronized int size() {
        return full.size();
    }
}

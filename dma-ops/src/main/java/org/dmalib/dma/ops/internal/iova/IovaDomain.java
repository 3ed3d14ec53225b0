package org.dmalib.dma.ops.internal.iova;

import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * An IOVA space with Linux's per-CPU range caches in front of its tree ({@code struct
 * iova_domain} with its {@code rcaches}): {@code alloc_iova_fast} and {@code free_iova_fast}.
 *
 * <p>Units: addresses in and out are pfns (granule numbers), sizes are granules, limits are
 * inclusive last granules; {@link #granules} converts a byte size.
 *
 * <p>Policy ({@code drivers/iommu/iova.c}): a request under 32 granules is rounded up to a power
 * of two; sizes of 1 to 32 granules ({@link #RANGE_CACHE_MAX_SIZE} classes) are cached on free
 * and served from the cache of the calling CPU, then its second magazine, then the shared depot;
 * a miss goes to the tree (naturally aligned, top-down first fit); when the tree fails and the
 * caller allows it, every CPU's cached ranges and the whole depot go back to the tree and the
 * tree is tried once more. Cached ranges stay allocated in the tree, as in Linux.
 *
 * <p>Per-CPU: the caller passes its CPU index (0 to {@code cpus - 1}, e.g. the simulated
 * {@code Cpu}'s id). Each CPU has its own lock (a spin lock, as Linux's per-CPU rcache lock; one
 * for all classes), uncontended while each thread drives its own CPU index; any thread may pass
 * any index (the lock keeps that correct, only slower). The fast path writes no word shared
 * between CPUs and allocates nothing once the magazines and maps have grown.
 *
 * <p>Checks: each CPU keeps the ranges it handed out under its own lock: the last range popped
 * from each of its magazines marked in its slot, the others in a map (first granule to size,
 * primitive open addressing); a free of anything else (never allocated, freed twice, another
 * size, reserved) throws {@link UnknownIovaException} before anything changes. Cost: an
 * allocation or a same-CPU free takes one uncontended lock for the check and the magazine
 * together (a free of the range its class popped last on that CPU finds the mark and touches no
 * map); a free on another CPU than the allocating one also locks the other CPUs in turn until
 * it finds the range (O(cpus) lock acquisitions; a free of an unknown range locks them all).
 *
 * <p>Depot reclaim runs on the injected clock, without threads of its own: after a depot push
 * on the free path, and on {@link #reclaimDepot()}.
 *
 * <p>Thread-safety: safe for concurrent use. The tree is private: ranges of this domain are
 * only freed through {@link #freeFast}.
 */
public final class IovaDomain {
    /** {@code IOVA_RANGE_CACHE_MAX_SIZE = 6}: cached classes of 1, 2, 4, 8, 16 and 32 granules. */
    public static final int RANGE_CACHE_MAX_SIZE = 6;
    /**
     * The most CPUs a domain keeps caches for (each CPU costs 13 KiB up front: 12 magazines of
     * 1 KiB and a 1 KiB header with its lock and tops).
     */
    public static final int MAX_CPUS = 4096;

    // 1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1) = 32: sizes below are rounded to a power of two
    private static final long ROUND_BELOW = 1L << (RANGE_CACHE_MAX_SIZE - 1);
    // the largest cached size, 32 granules: a request up to it is rounded to its class's size
    private static final long CACHED_MAX = 1L << (RANGE_CACHE_MAX_SIZE - 1);

    private final IovaTree tree;
    private final int cpus;
    // the tree's bounds, copied: the fast path reads them without a load through the tree
    private final long startPfn;
    private final long endPfn;
    private final LongSupplier nanoClock;
    // every CPU's lock, tops and magazines (see CpuCache): the fast path's one array
    private final long[] words;
    private final CpuCache[] cpuCaches;
    private final Depot[] depots = new Depot[RANGE_CACHE_MAX_SIZE];

    /**
     * Creates an empty domain ({@code init_iova_domain} + {@code iova_domain_init_rcaches}).
     *
     * @param granule bytes per granule, a power of two from 4 KiB to 64 KiB
     * @param startPfn the lowest granule ever handed out, at least 1
     * @param endPfn the highest granule ever handed out (the aperture's end)
     * @param cpus how many CPU indices callers pass, 1 to {@link #MAX_CPUS}
     * @param nanoClock a monotonic clock in nanoseconds (e.g. {@code System::nanoTime}) for the
     *     depot reclaim; read only on the depot's slow path
     * @throws IllegalArgumentException naming a bad value
     */
    public IovaDomain(long granule, long startPfn, long endPfn, int cpus, LongSupplier nanoClock) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("cpus=" + cpus + " must be from 1 to " + MAX_CPUS);
        }
        this.tree = new IovaTree(granule, startPfn, endPfn);
        this.cpus = cpus;
        this.startPfn = startPfn;
        this.endPfn = endPfn;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        for (int order = 0; order < RANGE_CACHE_MAX_SIZE; order++) {
            depots[order] = new Depot(1L << order, cpus);
        }
        this.words = CpuCache.newWords(cpus);
        this.cpuCaches = new CpuCache[cpus];
        for (int cpu = 0; cpu < cpus; cpu++) {
            cpuCaches[cpu] = new CpuCache(words, cpu, depots, this.nanoClock);
        }
    }

    /** {@return the granule in bytes} */
    public long granule() {
        return tree.granule();
    }

    /** {@return log2 of the granule} */
    public int shift() {
        return tree.shift();
    }

    /** {@return the lowest granule ever handed out} */
    public long startPfn() {
        return tree.startPfn();
    }

    /** {@return the highest granule ever handed out} */
    public long endPfn() {
        return tree.endPfn();
    }

    /** {@return how many CPU indices this domain keeps caches for} */
    public int cpus() {
        return cpus;
    }

    /**
     * {@return how many granules cover {@code bytes} (rounded up)}
     *
     * @param bytes at least 1
     * @throws IllegalArgumentException if {@code bytes} is below 1
     */
    public long granules(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("size=" + bytes + " bytes must be at least 1");
        }
        return ((bytes - 1) >>> tree.shift()) + 1;
    }

    /**
     * {@return the size the allocator really takes for a request of {@code size} granules:
     * the next power of two below 32, {@code size} itself from 32 on}
     *
     * @param size at least 1
     */
    public static long roundedSize(long size) {
        return size < ROUND_BELOW ? Long.highestOneBit((size << 1) - 1) : size;
    }

    /**
     * Allocates {@code size} granules at or below {@code limitPfn} ({@code alloc_iova_fast}).
     *
     * @param cpu the calling CPU's index, 0 to {@code cpus() - 1}
     * @param size granules, at least 1; under 32 rounded up to a power of two
     * @param limitPfn the last granule the range may cover, at least {@link #startPfn()};
     *     clamped to {@link #endPfn()}
     * @param flushRcache whether a failure may return every cached range to the tree and retry
     * @return the first granule of a range of {@link #roundedSize roundedSize(size)} granules,
     *     naturally aligned to its next power of two
     * @throws IovaExhaustedException if nothing fits; nothing is handed out (the caches may have
     *     been flushed, and the tree's {@code max32_alloc_size} updated, as in Linux)
     * @throws IllegalArgumentException if an argument is out of range
     */
    public long allocFast(int cpu, long size, long limitPfn, boolean flushRcache) {
        long pfn = tryAllocFast(cpu, size, limitPfn, flushRcache);
        if (pfn == 0) {
            throw new IovaExhaustedException(roundedSize(size), Math.min(limitPfn, endPfn));
        }
        return pfn;
    }

    /**
     * As {@link #allocFast} but returns 0 when nothing fits, as Linux does (for callers that
     * fall back, such as the 32-bit-first policy of {@link DeviceIova}).
     *
     * @param cpu the calling CPU's index
     * @param size granules, at least 1
     * @param limitPfn the last granule the range may cover, at least {@link #startPfn()}
     * @param flushRcache whether a failure may flush the caches and retry once
     * @return the first granule of the range, or 0
     * @throws IllegalArgumentException if an argument is out of range
     */
    public long tryAllocFast(int cpu, long size, long limitPfn, boolean flushRcache) {
        // the hot path is kept small (cold work in methods of its own) so that the JIT inlines
        // it into the caller; the checks throw from helpers for the same reason
        if (cpu < 0 || cpu >= cpus) {
            throw badCpu(cpu);
        }
        if (size < 1) {
            throw badSize(size);
        }
        if (limitPfn < startPfn) {
            throw badLimit(limitPfn);
        }
        long limit = Math.min(limitPfn, endPfn);
        if (size <= CACHED_MAX) {
            int order = cachedOrder(size);
            long rounded = 1L << order;
            long maxPfn = limit - rounded + 1;
            long pfn = CpuCache.tryPop(words, cpu * CpuCache.STRIDE, order, maxPfn);
            if (pfn != 0) {
                return pfn;
            }
            return allocCached(cpu, order, maxPfn, limit, flushRcache);
        }
        return allocFromTree(cpu, size, limit, flushRcache);
    }

    /** Past the common case: the magazines in general and the depot, then the tree. */
    private long allocCached(int cpu, int order, long maxPfn, long limit, boolean flushRcache) {
        long pfn = cpuCaches[cpu].alloc(order, maxPfn);
        if (pfn != 0) {
            return pfn;
        }
        return allocFromTree(cpu, 1L << order, limit, flushRcache);
    }

    /** The miss path: the tree, then (if allowed) every cache flushed and the tree once more. */
    private long allocFromTree(int cpu, long rounded, long limit, boolean flushRcache) {
        long pfn = tree.tryAlloc(rounded, limit, true);
        if (pfn == 0 && flushRcache) {
            flushRcaches();
            pfn = tree.tryAlloc(rounded, limit, true);
        }
        if (pfn != 0) {
            CpuCache c = cpuCaches[cpu];
            // the per-CPU lock again: the outstanding map is the CPU's
            c.lock();
            try {
                c.record(pfn, rounded);
            } finally {
                c.unlock();
            }
        }
        return pfn;
    }

    /**
     * Frees a range {@link #allocFast} handed out ({@code free_iova_fast}): into the calling
     * CPU's cache for sizes up to 32 granules, else into the tree.
     *
     * @param cpu the calling CPU's index, 0 to {@code cpus() - 1}
     * @param pfn the first granule {@link #allocFast} returned
     * @param size the size passed to {@link #allocFast} (or its rounded size)
     * @throws UnknownIovaException if the range is not outstanding with that size; then nothing
     *     changed
     * @throws IllegalArgumentException if {@code cpu} or {@code size} is out of range
     */
    public void freeFast(int cpu, long pfn, long size) {
        if (cpu < 0 || cpu >= cpus) {
            throw badCpu(cpu);
        }
        if (size < 1) {
            throw badSize(size);
        }
        if (size <= CACHED_MAX) {
            int order = cachedOrder(size);
            if (!CpuCache.tryPush(words, cpu * CpuCache.STRIDE, order, pfn)) {
                freeCached(cpu, pfn, size, order);
            }
            return;
        }
        freeUncached(cpu, pfn, size);
    }

    /** {@link #freeFast} of a cached size past the common case: this CPU's cache in general. */
    private void freeCached(int cpu, long pfn, long size, int order) {
        long found = cpuCaches[cpu].free(order, pfn);
        if (found == CpuCache.FREED_TO_DEPOT) {
            depots[order].reclaim(nanoClock.getAsLong(), tree);
        } else if (found != CpuCache.FREED) {
            freeSlow(cpu, pfn, size, 1L << order, order, found);
        }
    }

    /** {@link #freeFast} of a size above the caches: checked in this CPU's map, then the tree. */
    private void freeUncached(int cpu, long pfn, long size) {
        CpuCache c = cpuCaches[cpu];
        long found;
        // the per-CPU lock: the outstanding map is the CPU's
        c.lock();
        try {
            found = c.removeOutstanding(pfn, size);
        } finally {
            c.unlock();
        }
        freeSlow(cpu, pfn, size, size, orderBase2(size), found);
    }

    /**
     * The rest of {@link #freeFast} after the calling CPU's map said {@code found}: a range of
     * another CPU (looked up in theirs, then cached here), an unknown range (thrown), or a size
     * above the caches (to the tree).
     */
    private void freeSlow(int cpu, long pfn, long size, long rounded, int order, long found) {
        boolean cached = order < RANGE_CACHE_MAX_SIZE;
        long f = found;
        boolean pushed = false;
        if (f == 0) {
            f = removeFromOtherCpus(cpu, pfn, rounded);
            if (f == rounded && cached) {
                CpuCache c = cpuCaches[cpu];
                // our lock again: the range is no one's now, it goes into our magazine
                c.lock();
                try {
                    pushed = c.put(order, pfn);
                } finally {
                    c.unlock();
                }
            }
        }
        if (f != rounded) {
            throw new UnknownIovaException(pfn, size, f == 0
                    ? "not outstanding (never handed out, already freed, or reserved)"
                    : "outstanding with " + f + " granules, not " + rounded);
        }
        if (!cached) {
            tree.free(pfn, rounded);
        } else if (pushed) {
            depots[order].reclaim(nanoClock.getAsLong(), tree);
        }
    }

    /**
     * Reserves {@code [pfnLo, pfnHi]} so that it is never handed out; see
     * {@link IovaTree#reserve}.
     *
     * @param pfnLo the first granule
     * @param pfnHi the last granule
     * @throws IllegalArgumentException if the bounds are bad or the range overlaps an allocated
     *     (outstanding or cached) range
     */
    public void reserve(long pfnLo, long pfnHi) {
        tree.reserve(pfnLo, pfnHi);
    }

    /**
     * Returns every CPU's cached ranges and the whole depot to the tree
     * ({@code free_cpu_cached_iovas} for each CPU, then {@code free_global_cached_iovas}).
     * Outstanding ranges are untouched.
     */
    public void flushRcaches() {
        for (int cpu = 0; cpu < cpus; cpu++) {
            flushCpu(cpu);
        }
        for (Depot depot : depots) {
            depot.flush(tree);
        }
    }

    /**
     * Returns one CPU's cached ranges to the tree (Linux does it when a CPU goes offline).
     *
     * @param cpu a CPU index, 0 to {@code cpus() - 1}
     */
    public void flushCpu(int cpu) {
        checkCpu(cpu);
        CpuCache c = cpuCaches[cpu];
        // that CPU's lock, then the tree's (Linux's order)
        c.lock();
        try {
            c.flush(tree);
        } finally {
            c.unlock();
        }
    }

    /**
     * Runs the depot reclaim work that is due on the domain's clock: per class, one magazine back
     * to the tree per elapsed 100 ms ({@code IOVA_DEPOT_DELAY}) while that class's depot holds
     * more magazines than {@link #cpus()}.
     *
     * @return how many magazines went back to the tree
     */
    public int reclaimDepot() {
        long now = nanoClock.getAsLong();
        int freed = 0;
        for (Depot depot : depots) {
            freed += depot.reclaim(now, tree);
        }
        return freed;
    }

    /** {@return a snapshot of the tree's ranges (outstanding, cached and reserved), in order} */
    public List<IovaRange> treeRanges() {
        return tree.ranges();
    }

    /** {@return how many ranges are handed out and not freed (exact only when quiescent)} */
    public long outstandingCount() {
        long n = 0;
        for (CpuCache c : cpuCaches) {
            // each CPU's lock in turn: a sum, not a snapshot
            c.lock();
            try {
                n += c.outstandingCount();
            } finally {
                c.unlock();
            }
        }
        return n;
    }

    /**
     * {@return how many ranges {@code cpu} holds in its two magazines of class {@code order}}
     *
     * @param cpu a CPU index
     * @param order a class, 0 to {@code RANGE_CACHE_MAX_SIZE - 1} (size {@code 1 << order})
     */
    public int cachedCount(int cpu, int order) {
        checkCpu(cpu);
        Objects.checkIndex(order, RANGE_CACHE_MAX_SIZE);
        CpuCache c = cpuCaches[cpu];
        c.lock();
        try {
            return c.cachedCount(order);
        } finally {
            c.unlock();
        }
    }

    /**
     * {@return how many full magazines the depot of class {@code order} holds}
     *
     * @param order a class, 0 to {@code RANGE_CACHE_MAX_SIZE - 1}
     */
    public int depotSize(int order) {
        return depots[Objects.checkIndex(order, RANGE_CACHE_MAX_SIZE)].size();
    }

    /** The tree, for this package's tests and policy code; never for freeing. */
    IovaTree tree() {
        return tree;
    }

    /** Finds and removes an outstanding range of the other CPUs: its size there, 0 if none has it. */
    private long removeFromOtherCpus(int cpu, long pfn, long rounded) {
        for (int i = 1; i < cpus; i++) {
            CpuCache o = cpuCaches[(cpu + i) % cpus];
            // that CPU's lock: of two racing frees of one range exactly one finds it
            o.lock();
            try {
                long found = o.removeOutstanding(pfn, rounded);
                if (found != 0) {
                    return found;
                }
            } finally {
                o.unlock();
            }
        }
        return 0;
    }

    /**
     * The class of a cached size, 1 to {@value #CACHED_MAX} granules: {@code order_base_2} with
     * no branch ({@code size - 1} is 0 for a size of 1, whose 64 leading zeros give class 0).
     */
    private static int cachedOrder(long size) {
        return 64 - Long.numberOfLeadingZeros(size - 1);
    }

    /** {@code order_base_2}: log2 rounded up. */
    private static int orderBase2(long n) {
        return n <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(n - 1);
    }

    private void checkCpu(int cpu) {
        if (cpu < 0 || cpu >= cpus) {
            throw badCpu(cpu);
        }
    }

    private IllegalArgumentException badCpu(int cpu) {
        return new IllegalArgumentException("cpu=" + cpu + " must be from 0 to " + (cpus - 1));
    }

    private static IllegalArgumentException badSize(long size) {
        return new IllegalArgumentException("size=" + size + " granules must be at least 1");
    }

    private IllegalArgumentException badLimit(long limitPfn) {
        return new IllegalArgumentException(String.format(
                "limitPfn=0x%x is below startPfn=0x%x", limitPfn, startPfn));
    }
}

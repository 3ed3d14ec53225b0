package org.dmalib.hw.internal;

import org.dmalib.hw.PhysicalMemory;

/**
 * The per-line steps of the {@link CoherenceFabric}'s protocol: taking a line into a CPU's
 * cache (snooping the others), writing a dirty line back, filling a line, the coherent master's
 * reads and writes, and the maintenance loops. The fabric's public methods are the transactions;
 * these are the pieces they are made of.
 *
 * <p>Not thread-safe on its own; every call is made holding the {@link CoherenceFabric} monitor,
 * which also guards the caches, the in-flight write-backs and the cache counters it touches.
 */
final class LineProtocol {
    /** Maintenance operation: DC CVAC, clean to the Point of Coherency. */
    static final int CLEAN = 0;
    /** Maintenance operation: DC IVAC, invalidate, discarding dirty data. */
    static final int INVALIDATE = 1;
    /** Maintenance operation: DC CIVAC, clean then invalidate. */
    static final int CLEAN_INVALIDATE = 2;

    private final PhysicalMemory memory;
    private final DataCache[] caches;
    private final HwStats stats;
    private final int lineSize;
    private final int lineShift;
    private final InFlight inFlight;

    /**
     * Works on the fabric's own state, shared, not copied.
     *
     * @param memory the RAM behind the caches
     * @param caches every CPU's cache, indexed by CPU, all of one geometry
     * @param stats the counters; the cache ones are guarded by the fabric's monitor
     * @param inFlight the write-backs maintenance has issued and no barrier has completed
     * @param lineShift log2 of the caches' line size
     */
    LineProtocol(PhysicalMemory memory, DataCache[] caches, HwStats stats, InFlight inFlight,
            int lineShift) {
        this.memory = memory;
        this.caches = caches;
        this.stats = stats;
        this.inFlight = inFlight;
        this.lineSize = 1 << lineShift;
        this.lineShift = lineShift;
    }

    // -- CPU accesses --

    /**
     * Makes {@code line} present in {@code cpu}'s cache, exclusive if {@code forWrite}, and
     * returns its slot.
     */
    int ownLine(int cpu, long line, boolean forWrite) {
        return ownLine(cpu, line, forWrite, true);
    }

    /**
     * {@link #ownLine} for a store of {@code bytes} into {@code line}. A store of the whole line
     * (a full-line store, DC ZVA) needs none of its old bytes: the same snoops, write-backs and
     * eviction, but a line that misses is installed without reading RAM, its contents left for
     * the caller to overwrite before anything else reads it.
     */
    int ownLineForStore(int cpu, long line, int bytes) {
        return ownLine(cpu, line, true, bytes != lineSize);
    }

    private int ownLine(int cpu, long line, boolean forWrite, boolean fill) {
        DataCache own = caches[cpu];
        int slot = own.lookup(line);
        // a cache whose region filter says no holds no line of the region: its probe would miss;
        // when the shared filter says no other cache does, none is even asked
        long region = own.regionOf(line);
        if (forWrite && own.othersMayHoldRegion(region)) {
            // take the line exclusive: other CPUs write back a dirty copy and drop theirs
            for (int i = 0; i < caches.length; i++) {
                if (i != cpu && caches[i].mayHoldRegion(region)) {
                    int s = caches[i].probe(line);
                    if (s >= 0) {
                        writeBackIfDirty(caches[i], s);
                        caches[i].drop(s);
                    }
                }
            }
        }
        if (slot >= 0) {
            stats.cacheHits++;
            return slot;
        }
        stats.cacheMisses++;
        if (!forWrite && own.othersMayHoldRegion(region)) {
            // a dirty copy in another CPU's cache must reach RAM before we fill from it
            for (int i = 0; i < caches.length; i++) {
                if (i != cpu && caches[i].mayHoldRegion(region)) {
                    int s = caches[i].probe(line);
                    if (s >= 0) {
                        writeBackIfDirty(caches[i], s);
                    }
                }
            }
        }
        slot = own.victimFor(line);
        if (own.valid(slot)) {
            writeBackIfDirty(own, slot);
        }
        byte[] data = own.install(slot, line);
        if (fill) {
            fill(data, line);
        }
        return slot;
    }

    /** Writes a dirty line to RAM now (eviction or snoop); it supersedes any in-flight copy. */
    private void writeBackIfDirty(DataCache cache, int slot) {
        if (cache.dirty(slot)) {
            long line = cache.lineOf(slot);
            memory.write(line << lineShift, cache.data(slot), 0, lineSize);
            inFlight.drop(line);
            cache.setDirty(slot, false);
            stats.writebacks++;
        }
    }

    /**
     * Fills {@code into} with the line as a coherent reader that misses every cache sees it:
     * in-flight data, else RAM.
     */
    private void fill(byte[] into, long line) {
        byte[] pending = inFlight.data(line);
        if (pending != null) {
            System.arraycopy(pending, 0, into, 0, lineSize);
        } else {
            memory.read(line << lineShift, into, 0, lineSize);
        }
    }

    // -- coherent masters --

    /**
     * Reads as a coherent master sees the bytes: dirty CPU lines and in-flight write-backs
     * first, RAM for the rest; the range is already checked against memory. Only the caches
     * whose region filter may hold a line of the region are probed, and a region no cache
     * holds, with nothing in flight, comes from RAM without a look per line: the probes would
     * all miss.
     */
    void read(long paddr, byte[] dst, int off, int len) {
        // the common cases, small enough for the JIT to inline: a read within one region that
        // no cache holds, or within one line (the SMMU's descriptor and STE/CD reads)
        long line = paddr >>> lineShift;
        long lastLine = (paddr + len - 1) >>> lineShift;
        DataCache any = caches[0];
        long region = any.regionOf(line);
        if (len > 0 && any.regionOf(lastLine) == region) {
            long holders = holdersOf(region);
            if (holders == 0 && inFlight.size() == 0) {
                memory.read(paddr, dst, off, len);
                return;
            }
            if (line == lastLine) {
                byte[] src = newerThanRam(line, holders);
                if (src == null) {
                    memory.read(paddr, dst, off, len);
                } else {
                    System.arraycopy(src, (int) (paddr & (lineSize - 1)), dst, off, len);
                }
                return;
            }
        }
        readSnooping(paddr, dst, off, len);
    }

    /** {@link #read} of any range: region by region, line by line where a cache may hold one. */
    private void readSnooping(long paddr, byte[] dst, int off, int len) {
        boolean noneInFlight = inFlight.size() == 0;
        DataCache any = caches[0];
        int done = 0;
        int fromRam = 0; // bytes [fromRam, done) come from RAM, read as one piece
        long region = -1; // the region holders describes; line numbers are never negative
        long holders = 0;
        while (done < len) {
            long a = paddr + done;
            long line = a >>> lineShift;
            if (any.regionOf(line) != region) {
                region = any.regionOf(line);
                holders = holdersOf(region);
                if (holders == 0 && noneInFlight) {
                    long regionEnd = ((region + 1) * any.linesPerRegion()) << lineShift;
                    done = (int) Math.min(len, regionEnd - paddr);
                    continue;
                }
            }
            int inLine = (int) (a & (lineSize - 1));
            int n = Math.min(len - done, lineSize - inLine);
            byte[] src = newerThanRam(line, holders);
            if (src != null) {
                if (fromRam < done) {
                    memory.read(paddr + fromRam, dst, off + fromRam, done - fromRam);
                }
                System.arraycopy(src, inLine, dst, off + done, n);
                fromRam = done + n;
            }
            done += n;
        }
        if (fromRam < len) {
            memory.read(paddr + fromRam, dst, off + fromRam, len - fromRam);
        }
    }

    /**
     * Returns a dirty copy of {@code line} in one of the {@code holders} caches (lowest index
     * first), else its in-flight write-back, else null.
     */
    private byte[] newerThanRam(long line, long holders) {
        for (long h = holders; h != 0; h &= h - 1) {
            DataCache c = caches[Long.numberOfTrailingZeros(h)];
            int s = c.probe(line);
            if (s >= 0 && c.dirty(s)) {
                return c.data(s);
            }
        }
        return inFlight.data(line);
    }

    /**
     * Returns the caches that may hold a line of {@code region}, bit i for cache i (at most 64
     * CPUs): every other cache holds none of its lines (the filter's negative is exact).
     */
    private long holdersOf(long region) {
        if (!caches[0].mayAnyHoldRegion(region)) {
            return 0; // no cache holds a line of it: one look at the shared filter
        }
        long holders = 0;
        for (int i = 0; i < caches.length; i++) {
            if (caches[i].mayHoldRegion(region)) {
                holders |= 1L << i;
            }
        }
        return holders;
    }

    /**
     * Writes as a coherent master: CPU copies of the touched lines are written back if dirty and
     * dropped, in-flight write-backs of them completed, then RAM is written; the range is
     * already checked against memory. As for {@link #read}, only caches that may hold a line of
     * the region are probed.
     */
    void write(long paddr, byte[] src, int off, int len) {
        long first = paddr >>> lineShift;
        long last = (paddr + len - 1) >>> lineShift;
        DataCache any = caches[0];
        long region = -1; // the region holders describes; line numbers are never negative
        long holders = 0;
        for (long line = first; len > 0 && line <= last; line++) {
            inFlight.complete(line);
            if (any.regionOf(line) != region) {
                region = any.regionOf(line);
                holders = holdersOf(region); // drops below only shrink it: still a superset
            }
            for (long h = holders; h != 0; h &= h - 1) {
                DataCache c = caches[Long.numberOfTrailingZeros(h)];
                int s = c.probe(line);
                if (s >= 0) {
                    writeBackIfDirty(c, s);
                    c.drop(s);
                }
            }
        }
        memory.write(paddr, src, off, len);
    }

    // -- cache maintenance --

    /**
     * Applies {@code op} ({@link #CLEAN}, {@link #INVALIDATE} or {@link #CLEAN_INVALIDATE}) to
     * the lines of a byte range of positive {@code length}; returns how many lines it touches.
     */
    long maintainRange(int op, int cpu, long paddr, long length) {
        long first = paddr >>> lineShift;
        long last = (paddr + length - 1) >>> lineShift;
        maintain(op, cpu, first, last);
        return last - first + 1;
    }

    /**
     * Applies {@code op} to lines {@code first..last} in every cache, line by line in address
     * order and, for each line, cache by cache. A region no line of which a cache holds is
     * skipped in that cache: the instructions would find nothing there.
     */
    void maintain(int op, int cpu, long first, long last) {
        if (op != INVALIDATE) {
            // a clean covers the lines whoever wrote them: another CPU's write-back of one in
            // flight must be in RAM at this CPU's barrier, so it completes now
            inFlight.completeOthers(first, last, cpu);
        }
        DataCache any = caches[0];
        long firstRegion = any.regionOf(first);
        if (any.regionOf(last) == firstRegion && !any.mayAnyHoldRegion(firstRegion)) {
            return; // one region no cache holds a line of (a page's range, mostly): nothing to do
        }
        long perRegion = any.linesPerRegion();
        for (long line = first; line <= last; ) {
            long region = any.regionOf(line);
            long regionLast = Math.min(last, (region + 1) * perRegion - 1);
            long holders = holdersOf(region);
            for (long l = line; holders != 0 && l <= regionLast; l++) {
                for (long h = holders; h != 0; h &= h - 1) {
                    DataCache c = caches[Long.numberOfTrailingZeros(h)];
                    int s = c.probe(l);
                    if (s >= 0) {
                        maintainSlot(op, cpu, c, s, l);
                    }
                }
            }
            line = regionLast + 1;
        }
    }

    /** One cache's part of a maintenance instruction on the line it holds in {@code slot}. */
    private void maintainSlot(int op, int cpu, DataCache c, int slot, long line) {
        if (op != INVALIDATE && c.dirty(slot)) {
            inFlight.issue(line, c.data(slot).clone(), cpu);
            c.setDirty(slot, false);
        }
        if (op != CLEAN) {
            c.drop(slot);
        }
    }
}

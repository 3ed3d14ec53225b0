package org.dmalib.hw.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.PhysicalMemory;

/**
 * The memory system behind the CPUs: every CPU's private write-back data cache, the snooping
 * that keeps those caches coherent with each other and with coherent DMA masters, and the
 * write-backs that cache maintenance has issued but a barrier has not yet completed.
 *
 * <p>Model, in the terms of the Arm architecture:
 * <ol>
 *   <li>A CPU load that misses snoops the other caches: a dirty copy elsewhere is written back
 *       to RAM first, then the line is filled. A CPU store takes the line exclusive: other copies
 *       are written back if dirty and dropped.
 *   <li>Clean and clean+invalidate by address to the Point of Coherency act on every cache (they
 *       are broadcast in the inner-shareable domain). The dirty data they write back is
 *       <em>in flight</em>: RAM receives it only when the issuing CPU executes a barrier (DSB),
 *       so a non-coherent master reading before the barrier still sees the old RAM. A CPU or
 *       coherent master that reads the line meanwhile gets the in-flight data.
 *   <li>Invalidate drops the line everywhere, discarding dirty data.
 *   <li>A non-coherent master reads and writes RAM directly (see {@link StreamPort}); a coherent
 *       one reads through dirty lines and invalidates CPU copies of what it writes.
 * </ol>
 *
 * <p>Thread-safety: all methods are safe for concurrent use; the fabric is one monitor, the way
 * a snoop-based interconnect orders transactions to a line.
 */
public final class CoherenceFabric {
    private final PhysicalMemory memory;
    private final DataCache[] caches;
    private final HwStats stats;
    private final int lineSize;
    private final int lineShift;
    // line number -> write-back issued by a clean but not yet completed by a barrier
    private final Map<Long, Pending> inFlight = new LinkedHashMap<>();
    private final byte[] scratch;

    /** A write-back in flight: a snapshot of the line and the CPU whose barrier completes it. */
    private static final class Pending {
        final byte[] data;
        final int issuer;

        Pending(byte[] data, int issuer) {
            this.data = data;
            this.issuer = issuer;
        }
    }

    /**
     * Creates the fabric and its caches, all empty.
     *
     * @param memory the RAM behind the caches
     * @param geometry every CPU's cache shape
     * @param cpus how many CPUs
     * @param stats where to count events
     */
    public CoherenceFabric(PhysicalMemory memory, CacheGeometry geometry, int cpus, HwStats stats) {
        this.memory = memory;
        this.stats = stats;
        this.caches = new DataCache[cpus];
        for (int i = 0; i < cpus; i++) {
            caches[i] = new DataCache(geometry);
        }
        this.lineSize = geometry.lineSize();
        this.lineShift = Integer.numberOfTrailingZeros(lineSize);
        this.scratch = new byte[lineSize];
    }

    /** Returns the line size in bytes. */
    public int lineSize() {
        return lineSize;
    }

    /** Returns the RAM behind the fabric. */
    public PhysicalMemory memory() {
        return memory;
    }

    // -- CPU accesses --

    /**
     * Loads bytes as CPU {@code cpu} sees them.
     *
     * @param cpu the CPU index
     * @param paddr the first physical address; the range must already be checked against memory
     * @param dst destination
     * @param off offset in {@code dst}
     * @param len length in bytes
     */
    public synchronized void cpuLoad(int cpu, long paddr, byte[] dst, int off, int len) {
        int done = 0;
        while (done < len) {
            long a = paddr + done;
            int inLine = (int) (a & (lineSize - 1));
            int n = Math.min(len - done, lineSize - inLine);
            int slot = ownLine(cpu, a >>> lineShift, false);
            System.arraycopy(caches[cpu].data(slot), inLine, dst, off + done, n);
            done += n;
        }
    }

    /**
     * Stores bytes from CPU {@code cpu}: write-allocate, the line becomes dirty in its cache.
     *
     * @param cpu the CPU index
     * @param paddr the first physical address; the range must already be checked against memory
     * @param src source
     * @param off offset in {@code src}
     * @param len length in bytes
     */
    public synchronized void cpuStore(int cpu, long paddr, byte[] src, int off, int len) {
        int done = 0;
        while (done < len) {
            long a = paddr + done;
            int inLine = (int) (a & (lineSize - 1));
            int n = Math.min(len - done, lineSize - inLine);
            int slot = ownLine(cpu, a >>> lineShift, true);
            System.arraycopy(src, off + done, caches[cpu].data(slot), inLine, n);
            caches[cpu].setDirty(slot, true);
            done += n;
        }
    }

    /**
     * An atomic compare-and-swap of an aligned 64-bit word by CPU {@code cpu} (arm64 CAS, or an
     * LDXR/STXR loop): the line is taken exclusive as for a store, and the new value is written
     * into the cache only if the word holds {@code expected}. The whole operation is one fabric
     * transaction, so it is atomic against every CPU and coherent master.
     *
     * @param cpu the CPU index
     * @param paddr the word's address: 8-byte aligned, already checked against memory
     * @param expected the value the word must hold
     * @param update the value to store
     * @return the value the word held before (equal to {@code expected} iff the swap happened)
     */
    public synchronized long cpuCompareAndSwap(int cpu, long paddr, long expected, long update) {
        int inLine = (int) (paddr & (lineSize - 1));
        int slot = ownLine(cpu, paddr >>> lineShift, true);
        byte[] line = caches[cpu].data(slot);
        long old = 0;
        for (int i = Long.BYTES - 1; i >= 0; i--) {
            old = (old << 8) | (line[inLine + i] & 0xffL); // little-endian
        }
        if (old == expected) {
            for (int i = 0; i < Long.BYTES; i++) {
                line[inLine + i] = (byte) (update >>> (8 * i));
            }
            caches[cpu].setDirty(slot, true);
        }
        return old;
    }

    /** Returns whether CPU {@code cpu}'s cache holds the line of {@code paddr}. */
    public synchronized boolean isCached(int cpu, long paddr) {
        return caches[cpu].probe(paddr >>> lineShift) >= 0;
    }

    /** Returns whether CPU {@code cpu}'s cache holds the line of {@code paddr} dirty. */
    public synchronized boolean isDirty(int cpu, long paddr) {
        int slot = caches[cpu].probe(paddr >>> lineShift);
        return slot >= 0 && caches[cpu].dirty(slot);
    }

    /**
     * Makes {@code line} present in {@code cpu}'s cache, exclusive if {@code forWrite}, and
     * returns its slot.
     */
    private int ownLine(int cpu, long line, boolean forWrite) {
        DataCache own = caches[cpu];
        int slot = own.lookup(line);
        if (forWrite) {
            // take the line exclusive: other CPUs write back a dirty copy and drop theirs
            for (int i = 0; i < caches.length; i++) {
                if (i != cpu) {
                    int s = caches[i].probe(line);
                    if (s >= 0) {
                        writeBackIfDirty(caches[i], s);
                        caches[i].drop(s);
                    }
                }
            }
        }
        if (slot >= 0) {
            stats.cacheHits.increment();
            return slot;
        }
        stats.cacheMisses.increment();
        if (!forWrite) {
            // a dirty copy in another CPU's cache must reach RAM before we fill from it
            for (int i = 0; i < caches.length; i++) {
                if (i != cpu) {
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
        own.install(slot, line, lineContents(line));
        return slot;
    }

    /** Writes a dirty line to RAM now (eviction or snoop); it supersedes any in-flight copy. */
    private void writeBackIfDirty(DataCache cache, int slot) {
        if (cache.dirty(slot)) {
            long line = cache.lineOf(slot);
            memory.write(line << lineShift, cache.data(slot), 0, lineSize);
            inFlight.remove(line);
            cache.setDirty(slot, false);
            stats.writebacks.increment();
        }
    }

    /** The line as a coherent reader that misses every cache sees it: in-flight data, else RAM. */
    private byte[] lineContents(long line) {
        Pending p = inFlight.get(line);
        if (p != null) {
            return p.data;
        }
        memory.read(line << lineShift, scratch, 0, lineSize);
        return scratch;
    }

    // -- coherent DMA --

    /**
     * Reads for a coherent master: dirty CPU lines and in-flight write-backs are seen.
     *
     * @param paddr first physical address, already checked against memory
     * @param dst destination
     * @param off offset in {@code dst}
     * @param len length
     */
    public synchronized void coherentRead(long paddr, byte[] dst, int off, int len) {
        int done = 0;
        while (done < len) {
            long a = paddr + done;
            int inLine = (int) (a & (lineSize - 1));
            int n = Math.min(len - done, lineSize - inLine);
            long line = a >>> lineShift;
            byte[] src = null;
            for (DataCache c : caches) {
                int s = c.probe(line);
                if (s >= 0 && c.dirty(s)) {
                    src = c.data(s);
                    break;
                }
            }
            if (src == null) {
                src = lineContents(line);
            }
            System.arraycopy(src, inLine, dst, off + done, n);
            done += n;
        }
    }

    /**
     * Writes for a coherent master: CPU copies of the touched lines are invalidated (after a
     * dirty one is written back, so bytes the master does not write survive), then RAM is
     * written.
     *
     * @param paddr first physical address, already checked against memory
     * @param src source
     * @param off offset in {@code src}
     * @param len length
     */
    public synchronized void coherentWrite(long paddr, byte[] src, int off, int len) {
        long first = paddr >>> lineShift;
        long last = (paddr + len - 1) >>> lineShift;
        for (long line = first; len > 0 && line <= last; line++) {
            completeInFlight(line);
            for (DataCache c : caches) {
                int s = c.probe(line);
                if (s >= 0) {
                    writeBackIfDirty(c, s);
                    c.drop(s);
                }
            }
        }
        memory.write(paddr, src, off, len);
    }

    private void completeInFlight(long line) {
        Pending p = inFlight.remove(line);
        if (p != null) {
            memory.write(line << lineShift, p.data, 0, lineSize);
        }
    }

    // -- cache maintenance (issued through org.dmalib.hw.cache.CacheMaintenance) --

    /**
     * DC CVAC: clean the line of {@code paddr} to the Point of Coherency in every cache. A dirty
     * copy becomes clean and its data goes in flight until {@code cpu} executes a barrier.
     *
     * @param cpu the issuing CPU
     * @param paddr any address in the line, already checked against memory
     */
    public synchronized void clean(int cpu, long paddr) {
        long line = paddr >>> lineShift;
        for (DataCache c : caches) {
            int s = c.probe(line);
            if (s >= 0 && c.dirty(s)) {
                inFlight.put(line, new Pending(c.data(s).clone(), cpu));
                c.setDirty(s, false);
            }
        }
        stats.linesCleaned.increment();
    }

    /**
     * DC IVAC: invalidate the line of {@code paddr} in every cache, discarding dirty data.
     *
     * @param cpu the issuing CPU
     * @param paddr any address in the line, already checked against memory
     */
    public synchronized void invalidate(int cpu, long paddr) {
        long line = paddr >>> lineShift;
        for (DataCache c : caches) {
            int s = c.probe(line);
            if (s >= 0) {
                c.drop(s);
            }
        }
        stats.linesInvalidated.increment();
    }

    /**
     * DC CIVAC: clean then invalidate the line of {@code paddr} in every cache; dirty data goes
     * in flight as for {@link #clean}.
     *
     * @param cpu the issuing CPU
     * @param paddr any address in the line, already checked against memory
     */
    public synchronized void cleanInvalidate(int cpu, long paddr) {
        long line = paddr >>> lineShift;
        for (DataCache c : caches) {
            int s = c.probe(line);
            if (s >= 0) {
                if (c.dirty(s)) {
                    inFlight.put(line, new Pending(c.data(s).clone(), cpu));
                }
                c.drop(s);
            }
        }
        stats.linesCleanInvalidated.increment();
    }

    /**
     * DSB: complete every write-back that {@code cpu}'s maintenance put in flight, in issue
     * order.
     *
     * @param cpu the issuing CPU
     */
    public synchronized void barrier(int cpu) {
        for (Iterator<Map.Entry<Long, Pending>> it = inFlight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Pending> e = it.next();
            if (e.getValue().issuer == cpu) {
                memory.write(e.getKey() << lineShift, e.getValue().data, 0, lineSize);
                it.remove();
            }
        }
        stats.barriers.increment();
    }

    /** Returns how many write-backs are in flight (issued by maintenance, not yet completed). */
    public synchronized int inFlightCount() {
        return inFlight.size();
    }
}

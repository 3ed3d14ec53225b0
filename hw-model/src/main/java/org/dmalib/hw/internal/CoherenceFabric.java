package org.dmalib.hw.internal;

import static org.dmalib.hw.internal.LineProtocol.CLEAN;
import static org.dmalib.hw.internal.LineProtocol.CLEAN_INVALIDATE;
import static org.dmalib.hw.internal.LineProtocol.INVALIDATE;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.HwCounters;
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
 *       <em>in flight</em>: RAM receives it when the issuing CPU executes a barrier (DSB), or
 *       earlier when another CPU cleans the line or a coherent master writes to it (both
 *       complete it at once), so a non-coherent master reading before then still sees the old
 *       RAM. A CPU or coherent master that reads the line meanwhile gets the in-flight data; a
 *       later write-back of the line, dirtied again, supersedes it.
 *   <li>Invalidate drops the line everywhere, discarding dirty data.
 *   <li>A non-coherent master reads and writes RAM directly (see {@link StreamPort}); a coherent
 *       one reads through dirty lines and invalidates CPU copies of what it writes.
 * </ol>
 *
 * <p>Every public method is one transaction. A range of maintenance is one transaction that
 * applies the per-line instruction to each line in address order: the same result as the
 * per-line instructions issued back to back with nothing between them.
 *
 * <p>Thread-safety: all methods are safe for concurrent use; the fabric is one monitor, the way
 * a snoop-based interconnect orders transactions to a line.
 */
public final class CoherenceFabric {
    /** {@link #maintainRanges} operation: DC CVAC, {@link #cleanRange}. */
    public static final byte RANGE_CLEAN = LineProtocol.CLEAN;
    /** {@link #maintainRanges} operation: DC IVAC, {@link #invalidateRange}. */
    public static final byte RANGE_INVALIDATE = LineProtocol.INVALIDATE;
    /** {@link #maintainRanges} operation: DC CIVAC, {@link #cleanInvalidateRange}. */
    public static final byte RANGE_CLEAN_INVALIDATE = LineProtocol.CLEAN_INVALIDATE;

    // little-endian word view of a line's bytes, for the 64-bit accesses
    private static final VarHandle LE_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final PhysicalMemory memory;
    private final DataCache[] caches;
    private final HwStats stats;
    private final int lineSize;
    private final int lineShift;
    private final InFlight inFlight;
    // the per-line steps of every transaction, on this fabric's caches, under its monitor
    private final LineProtocol lines;
    // what a zeroed line holds: copied over a line's bytes, as Arrays.fill is a byte loop on
    // JDK 17 (C2's OptimizeFill is off by default)
    private final byte[] zeroLine;

    /**
     * Creates the fabric and its caches, all empty.
     *
     * @param memory the RAM behind the caches
     * @param geometry every CPU's cache shape
     * @param cpus how many CPUs, 1 to 64
     * @param stats where to count events; its cache counters are then guarded by this fabric
     */
    public CoherenceFabric(PhysicalMemory memory, CacheGeometry geometry, int cpus, HwStats stats) {
        this.memory = memory;
        this.stats = stats;
        this.caches = new DataCache[cpus];
        int[] anyRegionLines = DataCache.sharedRegionFilter(); // the union of the caches' filters
        for (int i = 0; i < cpus; i++) {
            caches[i] = new DataCache(geometry, anyRegionLines);
        }
        this.lineSize = geometry.lineSize();
        this.zeroLine = new byte[lineSize];
        this.lineShift = Integer.numberOfTrailingZeros(lineSize);
        this.inFlight = new InFlight(memory, lineShift, cpus);
        this.lines = new LineProtocol(memory, caches, stats, inFlight, lineShift);
    }

    /** {@return the line size in bytes} */
    public int lineSize() {
        return lineSize;
    }

    /** {@return the RAM behind the fabric} */
    public PhysicalMemory memory() {
        return memory;
    }

    /** {@return a snapshot of the machine's counters, the cache ones taken in one transaction} */
    public synchronized HwCounters counters() {
        return stats.snapshot();
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
            int slot = lines.ownLine(cpu, a >>> lineShift, false);
            System.arraycopy(caches[cpu].data(slot), inLine, dst, off + done, n);
            done += n;
        }
    }

    /**
     * Stores bytes from CPU {@code cpu}: write-allocate, the line becomes dirty in its cache; a
     * line the store covers whole is allocated without being read from RAM (its old bytes are
     * all overwritten), the rest as any store.
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
            int slot = lines.ownLineForStore(cpu, a >>> lineShift, n);
            System.arraycopy(src, off + done, caches[cpu].data(slot), inLine, n);
            caches[cpu].setDirty(slot, true);
            done += n;
        }
    }

    /**
     * Stores zeros from CPU {@code cpu} over a range ({@code DC ZVA} on its whole lines, as
     * arm64's {@code clear_page} does): exactly {@link #cpuStore} of zeros, line by line, except
     * that a whole line that misses is allocated zeroed without being read from RAM.
     *
     * @param cpu the CPU index
     * @param paddr the first physical address; the range must already be checked against memory
     * @param len length in bytes
     */
    public synchronized void cpuZero(int cpu, long paddr, long len) {
        long done = 0;
        while (done < len) {
            long a = paddr + done;
            int inLine = (int) (a & (lineSize - 1));
            int n = (int) Math.min(len - done, lineSize - inLine);
            long line = a >>> lineShift;
            int slot = lines.ownLineForStore(cpu, line, n);
            System.arraycopy(zeroLine, 0, caches[cpu].data(slot), inLine, n);
            caches[cpu].setDirty(slot, true);
            done += n;
        }
    }

    /**
     * Loads one byte as CPU {@code cpu} sees it: {@link #cpuLoad} of one byte.
     *
     * @param cpu the CPU index
     * @param paddr the address, already checked against memory
     * @return the byte
     */
    public synchronized byte cpuLoadByte(int cpu, long paddr) {
        int slot = lines.ownLine(cpu, paddr >>> lineShift, false);
        return caches[cpu].data(slot)[(int) (paddr & (lineSize - 1))];
    }

    /**
     * Stores one byte from CPU {@code cpu}: {@link #cpuStore} of one byte.
     *
     * @param cpu the CPU index
     * @param paddr the address, already checked against memory
     * @param value the byte
     */
    public synchronized void cpuStoreByte(int cpu, long paddr, byte value) {
        int slot = lines.ownLine(cpu, paddr >>> lineShift, true);
        caches[cpu].data(slot)[(int) (paddr & (lineSize - 1))] = value;
        caches[cpu].setDirty(slot, true);
    }

    /**
     * Loads a little-endian 64-bit word as CPU {@code cpu} sees it: {@link #cpuLoad} of its 8
     * bytes, without a buffer. A word that straddles two lines takes both, in address order.
     *
     * @param cpu the CPU index
     * @param paddr the lowest byte's address, any alignment; the 8 bytes already checked
     * @return the word
     */
    public synchronized long cpuLoadLong(int cpu, long paddr) {
        int inLine = (int) (paddr & (lineSize - 1));
        long line = paddr >>> lineShift;
        byte[] data = caches[cpu].data(lines.ownLine(cpu, line, false));
        if (inLine <= lineSize - Long.BYTES) {
            return (long) LE_LONG.get(data, inLine);
        }
        // the low bytes are taken before the second line's fill, which may evict the first
        int low = lineSize - inLine;
        long v = 0;
        for (int i = 0; i < low; i++) {
            v |= (data[inLine + i] & 0xffL) << (8 * i); // little-endian
        }
        byte[] next = caches[cpu].data(lines.ownLine(cpu, line + 1, false));
        for (int i = low; i < Long.BYTES; i++) {
            v |= (next[i - low] & 0xffL) << (8 * i);
        }
        return v;
    }

    /**
     * Stores a little-endian 64-bit word from CPU {@code cpu}: {@link #cpuStore} of its 8 bytes,
     * without a buffer. A word that straddles two lines dirties both, in address order.
     *
     * @param cpu the CPU index
     * @param paddr the lowest byte's address, any alignment; the 8 bytes already checked
     * @param value the word
     */
    public synchronized void cpuStoreLong(int cpu, long paddr, long value) {
        int inLine = (int) (paddr & (lineSize - 1));
        long line = paddr >>> lineShift;
        DataCache own = caches[cpu];
        int slot = lines.ownLine(cpu, line, true);
        if (inLine <= lineSize - Long.BYTES) {
            LE_LONG.set(own.data(slot), inLine, value);
            own.setDirty(slot, true);
            return;
        }
        int low = lineSize - inLine;
        byte[] data = own.data(slot);
        for (int i = 0; i < low; i++) {
            data[inLine + i] = (byte) (value >>> (8 * i)); // little-endian
        }
        own.setDirty(slot, true);
        int next = lines.ownLine(cpu, line + 1, true);
        data = own.data(next);
        for (int i = low; i < Long.BYTES; i++) {
            data[i - low] = (byte) (value >>> (8 * i));
        }
        own.setDirty(next, true);
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
        int slot = lines.ownLine(cpu, paddr >>> lineShift, true);
        byte[] line = caches[cpu].data(slot);
        long old = (long) LE_LONG.get(line, inLine);
        if (old == expected) {
            LE_LONG.set(line, inLine, update);
            caches[cpu].setDirty(slot, true);
        }
        return old;
    }

    /**
     * {@return whether CPU {@code cpu}'s cache holds the line of {@code paddr}}
     *
     * @param cpu the CPU index
     * @param paddr any address in the line
     */
    public synchronized boolean isCached(int cpu, long paddr) {
        return caches[cpu].probe(paddr >>> lineShift) >= 0;
    }

    /**
     * {@return whether CPU {@code cpu}'s cache holds the line of {@code paddr} dirty}
     *
     * @param cpu the CPU index
     * @param paddr any address in the line
     */
    public synchronized boolean isDirty(int cpu, long paddr) {
        int slot = caches[cpu].probe(paddr >>> lineShift);
        return slot >= 0 && caches[cpu].dirty(slot);
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
        lines.read(paddr, dst, off, len);
    }

    /**
     * {@link #coherentRead} by a coherent DMA master, counted as DMA bytes read in the same
     * transaction.
     *
     * @param paddr first physical address, already checked against memory
     * @param dst destination
     * @param off offset in {@code dst}
     * @param len length
     */
    public synchronized void dmaRead(long paddr, byte[] dst, int off, int len) {
        lines.read(paddr, dst, off, len);
        stats.coherentBytesRead += len;
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
        lines.write(paddr, src, off, len);
    }

    /**
     * {@link #coherentWrite} by a coherent DMA master, counted as DMA bytes written in the same
     * transaction.
     *
     * @param paddr first physical address, already checked against memory
     * @param src source
     * @param off offset in {@code src}
     * @param len length
     */
    public synchronized void dmaWrite(long paddr, byte[] src, int off, int len) {
        lines.write(paddr, src, off, len);
        stats.coherentBytesWritten += len;
    }

    // -- bursts behind a translation stage that withdraws translations (see SyncEpoch) --

    /**
     * A DMA master's move of translated bytes if {@code epoch} still has the value {@code seen},
     * else nothing, in one transaction (the epoch advances in one of its own,
     * {@link SyncEpoch#advance}): {@link #dmaRead} or {@link #dmaWrite} for a coherent
     * master, a plain RAM read or write ({@link PhysicalMemory}, no cache looked at) for a
     * non-coherent one.
     *
     * @param epoch the epoch of the stage that translated {@code paddr}
     * @param seen its value read before the translation
     * @param paddr first physical address, already checked against memory
     * @param buf source or destination
     * @param off offset in {@code buf}
     * @param len length
     * @param write whether memory is written from {@code buf}
     * @param coherent whether the master is coherent
     * @return whether the bytes moved
     */
    public synchronized boolean moveIfCurrent(SyncEpoch epoch, long seen, long paddr, byte[] buf,
            int off, int len, boolean write, boolean coherent) {
        if (epoch.value() != seen) {
            return false;
        }
        if (!coherent) {
            if (write) {
                memory.write(paddr, buf, off, len);
            } else {
                memory.read(paddr, buf, off, len);
            }
        } else if (write) {
            lines.write(paddr, buf, off, len);
            stats.coherentBytesWritten += len;
        } else {
            lines.read(paddr, buf, off, len);
            stats.coherentBytesRead += len;
        }
        return true;
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
        lines.maintain(CLEAN, cpu, line, line);
        stats.linesCleaned++;
    }

    /**
     * DC IVAC: invalidate the line of {@code paddr} in every cache, discarding dirty data.
     *
     * @param cpu the issuing CPU
     * @param paddr any address in the line, already checked against memory
     */
    public synchronized void invalidate(int cpu, long paddr) {
        long line = paddr >>> lineShift;
        lines.maintain(INVALIDATE, cpu, line, line);
        stats.linesInvalidated++;
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
        lines.maintain(CLEAN_INVALIDATE, cpu, line, line);
        stats.linesCleanInvalidated++;
    }

    /**
     * {@link #clean} of every line {@code [paddr, paddr + length)} touches, in address order,
     * as one transaction; counted as that many lines cleaned.
     *
     * @param cpu the issuing CPU
     * @param paddr the first address
     * @param length bytes, positive; the range already checked against memory
     */
    public synchronized void cleanRange(int cpu, long paddr, long length) {
        stats.linesCleaned += lines.maintainRange(CLEAN, cpu, paddr, length);
    }

    /**
     * {@link #invalidate} of every line {@code [paddr, paddr + length)} touches, in address
     * order, as one transaction; counted as that many lines invalidated.
     *
     * @param cpu the issuing CPU
     * @param paddr the first address
     * @param length bytes, positive; the range already checked against memory
     */
    public synchronized void invalidateRange(int cpu, long paddr, long length) {
        stats.linesInvalidated += lines.maintainRange(INVALIDATE, cpu, paddr, length);
    }

    /**
     * {@link #cleanInvalidate} of every line {@code [paddr, paddr + length)} touches, in address
     * order, as one transaction; counted as that many lines cleaned and invalidated.
     *
     * @param cpu the issuing CPU
     * @param paddr the first address
     * @param length bytes, positive; the range already checked against memory
     */
    public synchronized void cleanInvalidateRange(int cpu, long paddr, long length) {
        stats.linesCleanInvalidated += lines.maintainRange(CLEAN_INVALIDATE, cpu, paddr, length);
    }

    /**
     * Range maintenance of several ranges, in order, as one transaction: range {@code i} gets
     * {@link #cleanRange} ({@code ops[i] == RANGE_CLEAN}), {@link #invalidateRange}
     * ({@link #RANGE_INVALIDATE}) or {@link #cleanInvalidateRange}
     * ({@link #RANGE_CLEAN_INVALIDATE}), counted as those would be.
     *
     * @param cpu the issuing CPU
     * @param ops each range's operation
     * @param paddrs each range's first address
     * @param lengths each range's bytes, positive; every range already checked against memory
     * @param count how many ranges, from index 0
     */
    public synchronized void maintainRanges(int cpu, byte[] ops, long[] paddrs, long[] lengths,
            int count) {
        // summed here and counted once: the counters are read only under this monitor, so
        // they show the same totals as counting range by range
        long cleaned = 0;
        long invalidated = 0;
        long cleanedInvalidated = 0;
        for (int i = 0; i < count; i++) {
            long n = lines.maintainRange(ops[i], cpu, paddrs[i], lengths[i]);
            switch (ops[i]) {
                case CLEAN -> cleaned += n;
                case INVALIDATE -> invalidated += n;
                default -> cleanedInvalidated += n;
            }
        }
        stats.linesCleaned += cleaned;
        stats.linesInvalidated += invalidated;
        stats.linesCleanInvalidated += cleanedInvalidated;
    }

    /**
     * DSB: complete every write-back that {@code cpu}'s maintenance put in flight, in issue
     * order.
     *
     * @param cpu the issuing CPU
     */
    public synchronized void barrier(int cpu) {
        inFlight.completeAll(cpu);
        stats.barriers++;
    }

    /** {@return how many write-backs are in flight (issued by maintenance, not yet completed)} */
    public synchronized int inFlightCount() {
        return inFlight.size();
    }
}

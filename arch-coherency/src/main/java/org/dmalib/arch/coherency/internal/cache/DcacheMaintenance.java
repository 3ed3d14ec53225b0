package org.dmalib.arch.coherency.internal.cache;

import java.util.Objects;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.cache.CacheMaintenance;
import org.dmalib.hw.cache.MaintenanceBatch;

/**
 * arm64's {@code arch/arm64/mm/cache.S} over a physical range, issued by one CPU.
 *
 * <p>Each operation has a {@code NoSync} form that issues the per-line instructions without the
 * completing barrier, and a plain form that adds it. A caller maintaining a list issues the
 * {@code NoSync} form per entry and {@link #complete()} once: one barrier for the whole list
 * (Barry Song's batched DMA sync, 2025).
 *
 * <p>Each operation issues the same instructions on the same lines, in the same order, as the
 * per-line loops of {@code cache.S}, but as range instructions ({@link CacheMaintenance#cleanRange}
 * and friends: one machine transaction for many lines): one range for a clean or a clean and
 * invalidate, up to three for an invalidate (a partial last line, a partial first line, the
 * whole lines between).
 *
 * <p>Preconditions: {@code size >= 0} (else {@link IllegalArgumentException}) and the range
 * inside memory (else {@link org.dmalib.hw.PhysicalAddressException} naming it); a bad range is
 * refused before any line is maintained. A zero size does nothing.
 *
 * <p>A {@linkplain #batching batching} view records the {@code NoSync} forms' instructions
 * instead of issuing them one range at a time, and issues them all, in order, as one
 * transaction ({@link CacheMaintenance#issue}) when {@link #complete()} is called, just before
 * its barrier: the same instructions in the same order, for a list of many buffers.
 *
 * <p>Thread-safety: safe for concurrent use; instances are views of one CPU. A batching view is
 * not: it belongs to one caller, on one thread, from its creation to its {@link #complete()}.
 */
public final class DcacheMaintenance {
    private final CacheMaintenance dc;
    private final long lineMask;
    /** Null for the immediate view: every instruction is issued as it is asked for. */
    private final MaintenanceBatch batch;

    private DcacheMaintenance(CacheMaintenance dc, MaintenanceBatch batch) {
        this.dc = dc;
        this.lineMask = dc.lineSize() - 1L;
        this.batch = batch;
    }

    /**
     * Returns the maintenance operations issued by {@code cpu}.
     *
     * @param cpu a CPU of the hardware model
     * @return the operations
     * @throws IllegalArgumentException if {@code cpu} is not a hardware-model CPU
     */
    public static DcacheMaintenance on(Cpu cpu) {
        return new DcacheMaintenance(CacheMaintenance.of(Objects.requireNonNull(cpu, "cpu")), null);
    }

    /**
     * Returns a batching view of the same CPU's operations: its {@code NoSync} forms record,
     * {@link #complete()} issues what they recorded and then the barrier.
     *
     * @param ranges how many ranges to make room for (it grows past that)
     * @return the view, for one caller on one thread
     */
    public DcacheMaintenance batching(int ranges) {
        return new DcacheMaintenance(dc, dc.batch(ranges));
    }

    /**
     * Returns a batching view of {@code cpu}'s operations: {@code on(cpu).batching(ranges)}
     * without the immediate view in between.
     *
     * @param cpu a CPU of the hardware model
     * @param ranges how many ranges to make room for (it grows past that)
     * @return the view, for one caller on one thread
     * @throws IllegalArgumentException if {@code cpu} is not a hardware-model CPU
     */
    public static DcacheMaintenance batchingOn(Cpu cpu, int ranges) {
        CacheMaintenance dc = CacheMaintenance.of(Objects.requireNonNull(cpu, "cpu"));
        return new DcacheMaintenance(dc, dc.batch(ranges));
    }

    /** {@return the cache line size the operations step by} */
    public int lineSize() {
        return dc.lineSize();
    }

    /**
     * {@code dcache_clean_poc} without its DSB: DC CVAC on every line of the range.
     *
     * @param paddr first physical address
     * @param size length in bytes
     */
    public void cleanPocNoSync(long paddr, long size) {
        checkSize(size);
        if (size == 0) {
            return;
        }
        if (batch != null) {
            batch.clean(paddr, size);
        } else {
            dc.cleanRange(paddr, size);
        }
    }

    /**
     * {@code dcache_inval_poc} without its DSB: DC IVAC on every whole line of the range; a
     * partial line at either end is cleaned and invalidated (DC CIVAC) instead, so that data
     * sharing the line outside the range is not lost.
     *
     * <p>The instructions are {@code cache.S}'s, in its order: DC CIVAC on a partial last line,
     * then DC CIVAC on a partial first line, then DC IVAC on the lines between, in address
     * order. Like the assembly, a range inside one line gets two instructions on that line (a
     * DC CIVAC for its end, then a DC CIVAC for an unaligned start or a DC IVAC for an aligned
     * one, which finds the line already gone); the counters count both.
     *
     * @param paddr first physical address
     * @param size length in bytes
     */
    public void invalidatePocNoSync(long paddr, long size) {
        checkSize(size);
        if (size == 0) {
            return;
        }
        if (((paddr | size) & lineMask) == 0) {
            // whole lines only: one DC IVAC range, which checks the whole range before its first
            // line as the check below does
            invalidate(paddr, size);
            return;
        }
        dc.checkRange(paddr, size); // the whole range, before the first line
        long step = lineMask + 1;
        long end = paddr + size;
        long stop = end & ~lineMask; // x1 of cache.S: the end, aligned down
        if ((end & lineMask) != 0) {
            cleanInvalidateLine(stop); // "tst x1, x3 ... dc civac, x1": the partial last line
        }
        long line = paddr & ~lineMask; // x0: the start, aligned down
        long from;
        if ((paddr & lineMask) != 0) {
            cleanInvalidateLine(line); // the partial first line; the loop's test comes next
            from = line + step;
        } else {
            from = line;
        }
        // the loop "2: dc ivac; 3: add; cmp; b.lo 2b": entered at 2 (one DC IVAC before the
        // first test) for an aligned start, at 3 after the partial first line
        long until = from == line ? Math.max(stop, line + step) : stop;
        if (from < until) {
            invalidate(from, until - from);
        }
    }

    private void cleanInvalidateLine(long line) {
        if (batch != null) {
            batch.cleanInvalidate(line, lineMask + 1);
        } else {
            dc.cleanInvalidateLine(line);
        }
    }

    private void invalidate(long paddr, long length) {
        if (batch != null) {
            batch.invalidate(paddr, length);
        } else {
            dc.invalidateRange(paddr, length);
        }
    }

    /**
     * {@code dcache_clean_inval_poc} without its DSB: DC CIVAC on every line of the range.
     *
     * @param paddr first physical address
     * @param size length in bytes
     */
    public void cleanInvalidatePocNoSync(long paddr, long size) {
        checkSize(size);
        if (size == 0) {
            return;
        }
        if (batch != null) {
            batch.cleanInvalidate(paddr, size);
        } else {
            dc.cleanInvalidateRange(paddr, size);
        }
    }

    /**
     * DSB SY: completes all maintenance this CPU issued ({@code arch_sync_dma_flush}); a
     * batching view first issues what it recorded.
     */
    public void complete() {
        if (batch != null) {
            dc.issue(batch); // the recorded instructions, in order, before their barrier
        }
        // the barrier makes every write-back issued above reach RAM before the caller goes on
        // (for example before it lets a non-coherent device read the buffer)
        dc.barrier();
    }

    /**
     * {@code dcache_clean_poc}: clean the range, then complete.
     *
     * @param paddr first physical address
     * @param size length in bytes
     */
    public void cleanPoc(long paddr, long size) {
        cleanPocNoSync(paddr, size);
        complete();
    }

    /**
     * {@code dcache_inval_poc}: invalidate the range (partial end lines cleaned too), then
     * complete.
     *
     * @param paddr first physical address
     * @param size length in bytes
     */
    public void invalidatePoc(long paddr, long size) {
        invalidatePocNoSync(paddr, size);
        complete();
    }

    /**
     * {@code dcache_clean_inval_poc}: clean and invalidate the range, then complete.
     *
     * @param paddr first physical address
     * @param size length in bytes
     */
    public void cleanInvalidatePoc(long paddr, long size) {
        cleanInvalidatePocNoSync(paddr, size);
        complete();
    }

    private static void checkSize(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size=" + size + " must not be negative");
        }
    }
}

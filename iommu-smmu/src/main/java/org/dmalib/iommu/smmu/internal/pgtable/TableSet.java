package org.dmalib.iommu.smmu.internal.pgtable;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * What every CPU's view of one page table shares ({@code struct arm_lpae_io_pgtable} minus the
 * table contents, which live in simulated RAM): the shape, the memory tables come from, the
 * driver's flush ops, and the accounting of tables.
 *
 * <p>Each last-level table has a count of the leaves it holds, kept beside the table (the way
 * the kernel keeps per-page counts in the table page's {@code struct page}), so that freeing a
 * table tree never reads the last-level entries: it reads only the tables that point to tables,
 * as {@code __arm_lpae_free_pgtable} does, and still knows how many leaves went with it.
 *
 * <p>Thread-safety: safe for concurrent use; the counters are atomics.
 */
final class TableSet {
    final LpaeConfig config;
    final TableMemory memory;
    final FlushOps flushOps;
    private final AtomicInteger tables = new AtomicInteger();
    private final AtomicLong lostRaces = new AtomicLong();
    // leaf entries (pages and blocks) present, for the driver's refill estimate
    private final AtomicLong leaves = new AtomicLong();
    private final AtomicBoolean freed = new AtomicBoolean();
    // leaves per last-level table, by (table - region base) / granule, in chunks made on first use
    private final AtomicReferenceArray<AtomicIntegerArray> leafTables;
    private final int granuleShift;

    // 512 last-level tables per chunk: 2 KiB of counts covers 2 MiB of 4K tables
    private static final int CHUNK_SHIFT = 9;
    private static final int CHUNK = 1 << CHUNK_SHIFT;

    TableSet(LpaeConfig config, TableMemory memory, FlushOps flushOps) {
        this.config = config;
        this.memory = memory;
        this.flushOps = flushOps;
        this.granuleShift = Integer.numberOfTrailingZeros(config.granule());
        long slots = memory.size() >>> granuleShift;
        this.leafTables = new AtomicReferenceArray<>((int) ((slots + CHUNK - 1) >>> CHUNK_SHIFT));
    }

    /**
     * Adds {@code delta} to the leaf count of the last-level table at {@code table} and to the
     * page table's total.
     */
    void addTableLeaves(long table, long delta) {
        long slot = (table - memory.base()) >>> granuleShift;
        int c = (int) (slot >>> CHUNK_SHIFT);
        AtomicIntegerArray chunk = leafTables.get(c);
        if (chunk == null) {
            // two CPUs may race to make the chunk: the CAS keeps the first
            leafTables.compareAndSet(c, null, new AtomicIntegerArray(CHUNK));
            chunk = leafTables.get(c);
        }
        chunk.addAndGet((int) (slot & (CHUNK - 1)), (int) delta); // |delta| <= 8192 entries
        leaves.addAndGet(delta);
    }

    /**
     * Returns the leaf count of the last-level table at {@code table} and resets it to zero: the
     * table is being freed, with its leaves.
     */
    int takeTableLeaves(long table) {
        long slot = (table - memory.base()) >>> granuleShift;
        AtomicIntegerArray chunk = leafTables.get((int) (slot >>> CHUNK_SHIFT));
        if (chunk == null) {
            return 0;
        }
        int i = (int) (slot & (CHUNK - 1));
        int n = chunk.get(i);
        if (n != 0) {
            // no atomic exchange needed: the table is unreachable, nobody else writes its count
            chunk.setRelease(i, 0);
        }
        return n;
    }

    /**
     * {@link #takeTableLeaves(long)} of the first {@code count} tables of {@code tables}, summed:
     * the leaves that go with a batch of last-level tables being freed.
     */
    long takeTableLeaves(long[] tables, int count) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += takeTableLeaves(tables[i]);
        }
        return sum;
    }

    /**
     * Allocates a table block of {@code bytes}; counts it only once allocated.
     *
     * @throws org.dmalib.iommu.smmu.PageTableMemoryException if the region is exhausted
     */
    long allocate(int bytes) {
        long paddr = memory.allocate(bytes);
        tables.incrementAndGet();
        return paddr;
    }

    /** Returns a table block to the region. */
    void release(long paddr, int bytes) {
        memory.free(paddr, bytes);
        tables.decrementAndGet();
    }

    /** Returns {@code count} table blocks of {@code bytes} to the region at once. */
    void releaseAll(long[] tables, int count, int bytes) {
        memory.freeAll(tables, count, bytes);
        this.tables.addAndGet(-count);
    }

    /** Records that this thread's table lost an install race and was freed. */
    void lostRace() {
        lostRaces.incrementAndGet();
    }

    /** Counts {@code delta} leaf entries written (positive) or cleared (negative). */
    void addLeaves(long delta) {
        leaves.addAndGet(delta);
    }

    long leaves() {
        return leaves.get();
    }

    int tablesInUse() {
        return tables.get();
    }

    long lostRaces() {
        return lostRaces.get();
    }

    /** Marks the tables freed; returns false if they already were. */
    boolean markFreed() {
        return freed.compareAndSet(false, true);
    }

    boolean isFreed() {
        return freed.get();
    }
}

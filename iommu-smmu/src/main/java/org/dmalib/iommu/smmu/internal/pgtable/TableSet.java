package org.dmalib.iommu.smmu.internal.pgtable;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * What every CPU's view of one page table shares ({@code struct arm_lpae_io_pgtable} minus the
 * table contents, which live in simulated RAM): the shape, the memory tables come from, the
 * driver's flush ops, and the accounting of tables.
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

    TableSet(LpaeConfig config, TableMemory memory, FlushOps flushOps) {
        this.config = config;
        this.memory = memory;
        this.flushOps = flushOps;
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

package org.dmalib.iommu.smmu.internal.pgtable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.dmalib.arch.coherency.internal.cache.DcacheMaintenance;
import org.dmalib.hw.Cpu;

/**
 * PTE memory as one CPU reaches it: loads and stores through the CPU's write-back cache, the
 * cleans a non-coherent walker needs ({@code __arm_lpae_sync_pte}), table allocation and freeing
 * ({@code __arm_lpae_alloc_pages}, {@code __arm_lpae_free_pgtable}) and the lock-free
 * {@code arm_lpae_install_table}.
 *
 * <p>Ordering vocabulary: a <em>clean</em> is {@code DC CVAC} per line without a barrier,
 * {@link DcacheMaintenance#complete()} is the {@code DSB} that makes the cleaned data reach RAM,
 * where a non-coherent walker reads it. With a coherent walker the CPU caches are the point of
 * coherence and no maintenance is issued at all.
 *
 * <p>Thread-safety: safe for concurrent use (the machine serialises each access; no state here
 * beyond the shared {@link TableSet}).
 */
final class PteAccess {
    private static final int PTE_BYTES = 1 << LpaeConfig.PTE_SHIFT;
    // PTEs are little-endian 64-bit words, as arm64 stores them
    private static final VarHandle PTE_VIEW =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final TableSet set;
    private final Cpu cpu;
    /** Null when the walker is coherent: then nothing is ever cleaned. */
    private final DcacheMaintenance dc;

    PteAccess(TableSet set, Cpu cpu) {
        this.set = set;
        this.cpu = cpu;
        this.dc = set.config.coherentWalk() ? null : DcacheMaintenance.on(cpu);
    }

    /** Returns the address of entry {@code index} of the table at {@code table}. */
    static long entry(long table, long index) {
        return table + index * PTE_BYTES;
    }

    /** READ_ONCE of a PTE, through this CPU's cache (which snoops the other CPUs'). */
    long load(long ptep) {
        return cpu.loadLong(ptep);
    }

    /** A plain PTE store, through this CPU's cache; not yet visible to a non-coherent walker. */
    void store(long ptep, long pte) {
        cpu.storeLong(ptep, pte);
    }

    /**
     * Loads {@code count} consecutive PTEs from {@code ptep} in one access through this CPU's
     * cache: the same lines, filled in the same order, as {@code count} {@link #load}s, in one
     * transaction of the machine instead of one per entry.
     *
     * @param count entries, at least 1; the run lies inside one table
     * @return the raw little-endian entries, read with {@link #pte}
     */
    byte[] loadRun(long ptep, int count) {
        byte[] raw = new byte[count * PTE_BYTES];
        cpu.load(ptep, raw, 0, raw.length);
        return raw;
    }

    /** Returns entry {@code i} of a run {@link #loadRun} read (or {@link #putPte} wrote). */
    static long pte(byte[] raw, int i) {
        return (long) PTE_VIEW.get(raw, i * PTE_BYTES);
    }

    /** Writes entry {@code i} of a run for {@link #storeRun}. */
    static void putPte(byte[] raw, int i, long pte) {
        PTE_VIEW.set(raw, i * PTE_BYTES, pte);
    }

    /**
     * Stores a run of consecutive PTEs from {@code ptep} in one access: the same lines, dirtied in
     * the same order, as one {@link #store} per entry.
     *
     * @param raw the entries, little-endian (see {@link #putPte}); the run lies inside one table
     */
    void storeRun(long ptep, byte[] raw) {
        cpu.store(ptep, raw, 0, raw.length);
    }

    /**
     * Stores zero into {@code count} consecutive PTEs from {@code ptep} in one access: the same
     * lines, dirtied in the same order, as one {@link #store} of 0 per entry.
     */
    void clearRun(long ptep, int count) {
        cpu.zero(ptep, (long) count * PTE_BYTES);
    }

    /**
     * Makes {@code count} consecutive PTEs from {@code ptep} visible to the walker
     * ({@code __arm_lpae_sync_pte}: {@code dma_sync_single_for_device} of the batch): one clean per
     * line and one barrier for the batch; nothing with a coherent walker.
     */
    void sync(long ptep, long count) {
        if (dc == null || count == 0) {
            return;
        }
        dc.cleanPocNoSync(ptep, count * PTE_BYTES);
        // the cleaned PTEs must reach RAM before anything lets the walker read them
        dc.complete();
    }

    /**
     * Allocates a table of {@code bytes}, zeroes it through this CPU, and for a non-coherent
     * walker cleans it to RAM as {@code dma_map_single(TO_DEVICE)} of the new table page does.
     *
     * @throws org.dmalib.iommu.smmu.PageTableMemoryException if no table memory is left
     */
    long newTable(int bytes) {
        long paddr = set.allocate(bytes);
        // __GFP_ZERO: clear_page, DC ZVA on arm64 (the fresh lines are not read from RAM)
        cpu.zero(paddr, bytes);
        if (dc != null) {
            dc.cleanPocNoSync(paddr, bytes);
            // the zeroed table must be in RAM before its pointer can be: a non-coherent walker
            // following the pointer must not find stale descriptors of the block's last owner
            dc.complete();
        }
        return paddr;
    }

    /**
     * {@code arm_lpae_install_table(table, ptep, 0)}: publishes {@code table} in the empty entry
     * {@code ptep} with a compare-and-swap, lock-free.
     *
     * @return the entry's old value: 0 iff this call installed {@code table}; otherwise the
     *     winner's PTE (the caller frees {@code table} and continues in the winner's)
     */
    long installTable(long ptep, long table) {
        long update = LpaePte.table(table);
        // dma_wmb(): the table's zeroing must be visible before the pointer is published. The
        // CAS is a full fence in the model (the fabric serialises it after the zeroing stores),
        // and for a non-coherent walker newTable already cleaned and completed the zeroes.
        long old = cpu.compareAndSwapLong(ptep, 0, update);
        if (dc == null || (old & LpaePte.SW_SYNC) != 0) {
            return old;
        }
        // clean the entry even if another CPU won: there's no point waiting for it to do so
        sync(ptep, 1);
        if (old == 0) {
            // only the winner writes the entry again; the walker ignores SW_SYNC (bit 55)
            store(ptep, update | LpaePte.SW_SYNC);
        }
        return old;
    }

    /** Frees a table this call allocated but never published (a lost install race). */
    void discardTable(long table, int bytes) {
        set.release(table, bytes);
    }

    /**
     * Frees the table at {@code table} of {@code level} and every table below it
     * ({@code __arm_lpae_free_pgtable}); leaves are dropped without TLB work. The caller has
     * made the table unreachable and flushed the walk cache for it.
     *
     * <p>As Linux's, the walk reads only tables that can point to tables: a last-level table is
     * freed unread, its leaves known from {@link TableSet#takeTableLeaves}. Each table read is
     * one bulk load through this CPU's cache (the same lines, filled in the same order, as
     * reading the entries one by one; nothing may race with a freed tree), and the last-level
     * tables under one table go back to the region in one {@link TableSet#releaseAll}.
     */
    void freeTree(long table, int level) {
        LpaeConfig c = set.config;
        if (level == LpaeConfig.LAST_LEVEL) {
            set.addLeaves(-set.takeTableLeaves(table));
            set.release(table, c.tableBytes(level));
            return;
        }
        int n = c.entries(level);
        byte[] raw = loadRun(table, n);
        if (level + 1 == LpaeConfig.LAST_LEVEL) {
            freeLeafTables(table, level, raw, n);
            return;
        }
        long leaves = 0;
        for (int i = 0; i < n; i++) {
            long pte = pte(raw, i);
            if (LpaePte.isTable(pte, level)) {
                freeTree(LpaePte.toPaddr(pte), level + 1);
            } else if (pte != 0) {
                leaves++;
            }
        }
        set.addLeaves(-leaves);
        set.release(table, c.tableBytes(level));
    }

    /**
     * {@link #freeTree} of a table whose children are last-level tables: the children are
     * collected in one pass over the entries, their leaf counts taken and their memory returned
     * in one call each. A loop of its own, apart from the recursion above it, so that the JIT
     * compiles it for a table full of children (a teardown's) and not by the profile of a pgd
     * that holds one pointer.
     */
    private void freeLeafTables(long table, int level, byte[] raw, int n) {
        LpaeConfig c = set.config;
        long[] children = new long[n];
        int count = 0;
        long leaves = 0;
        for (int i = 0; i < n; i++) {
            long pte = pte(raw, i);
            if (LpaePte.isTable(pte, level)) {
                children[count++] = LpaePte.toPaddr(pte);
            } else if (pte != 0) {
                leaves++;
            }
        }
        if (count > 0) {
            leaves += set.takeTableLeaves(children, count);
            set.releaseAll(children, count, c.granule());
        }
        set.addLeaves(-leaves);
        set.release(table, c.tableBytes(level));
    }

    /**
     * Returns the IOVA of the first leaf in the tree of {@code table} at {@code level}, whose
     * first entry maps {@code base}; -1 if the tree holds no leaf.
     */
    long firstLeaf(long table, int level, long base) {
        LpaeConfig c = set.config;
        int n = c.entries(level);
        for (int i = 0; i < n; i++) {
            long pte = load(entry(table, i));
            long iova = base + i * c.blockSize(level);
            if (LpaePte.isLeaf(pte, level)) {
                return iova;
            }
            if (LpaePte.isTable(pte, level)) {
                long found = firstLeaf(LpaePte.toPaddr(pte), level + 1, iova);
                if (found >= 0) {
                    return found;
                }
            }
        }
        return -1;
    }

    /** Returns the number of tables reachable from {@code table} at {@code level}, itself included. */
    int countTree(long table, int level) {
        int count = 1;
        if (level < LpaeConfig.LAST_LEVEL) {
            int n = set.config.entries(level);
            for (int i = 0; i < n; i++) {
                long pte = load(entry(table, i));
                if (LpaePte.isTable(pte, level)) {
                    count += countTree(LpaePte.toPaddr(pte), level + 1);
                }
            }
        }
        return count;
    }
}

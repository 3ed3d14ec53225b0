package org.dmalib.iommu.smmu.internal.pgtable;

import java.util.Objects;
import java.util.OptionalLong;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.InvalidProtException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * An ARM LPAE stage-1 page table in simulated RAM: io-pgtable-arm.c's {@code ARM_64_LPAE_S1}
 * format (reference linux-dma-iommu.md §4). Tables come from a {@link TableMemory}; PTEs are
 * written by a CPU through its write-back cache and, for a non-coherent walker, cleaned to the
 * Point of Coherency before they can matter to it.
 *
 * <p>Protocol, as Linux's:
 * <ol>
 *   <li>{@link #mapPages} issues no TLB maintenance for what it maps (an SMMUv3 caches no
 *       invalid entries). Its one TLB call is Linux's too: a block requested where an empty
 *       table was left behind by earlier unmaps replaces that table, with a synchronous
 *       {@link FlushOps#flushWalk} before the table is freed.
 *   <li>{@link #unmapPages} defers leaf invalidations to the caller's gather
 *       ({@link FlushOps#addPage}), and when it removes a table it flushes the walk cache
 *       synchronously ({@link FlushOps#flushWalk}) before the table's memory is freed.
 *   <li>Tables are never freed because they became empty: only a block-sized unmap (or map)
 *       over a table entry, or {@link #free()}, frees them.
 * </ol>
 *
 * <p>Thread-safety: concurrent calls on disjoint IOVA ranges are safe. Table installation is
 * lock-free (a compare-and-swap on the parent PTE; a thread that loses frees its table and
 * continues in the winner's); leaf writes are plain stores, so concurrent calls on overlapping
 * ranges are a caller bug (the IOVA allocator rules them out). {@link #free()} must not race
 * with anything.
 */
public final class ArmLpaePageTable {
    private final TableSet set;
    private final LpaeConfig config;
    private final PteAccess ptes;
    private final long pgd;
    private final TableArgs args;

    private ArmLpaePageTable(TableSet set, PteAccess ptes, long pgd) {
        this.set = set;
        this.config = set.config;
        this.ptes = ptes;
        this.pgd = pgd;
        this.args = new TableArgs(set, pgd);
    }

    /**
     * Allocates the table's pgd ({@code pgd_bytes}, see {@link LpaeConfig#pgdBytes()}) and zeroes
     * it through {@code cpu}; for a non-coherent walker also cleans it to RAM, so the empty pgd
     * is visible before the caller writes {@link #ttbr()} into a context descriptor.
     *
     * @param config the table's shape
     * @param cpu the CPU whose stores write PTEs (through its cache); see {@link #onCpu}
     * @param memory where tables come from
     * @param flushOps the driver's TLB callbacks, called by unmaps
     * @return the empty table
     * @throws NullPointerException if an argument is null
     * @throws org.dmalib.iommu.smmu.PageTableMemoryException if the pgd cannot be allocated
     */
    public static ArmLpaePageTable allocate(
            LpaeConfig config, Cpu cpu, TableMemory memory, FlushOps flushOps) {
        TableSet set = new TableSet(Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(memory, "memory"),
                Objects.requireNonNull(flushOps, "flushOps"));
        PteAccess ptes = new PteAccess(set, Objects.requireNonNull(cpu, "cpu"));
        return new ArmLpaePageTable(set, ptes, ptes.newTable(config.pgdBytes()));
    }

    /**
     * Returns a view of the same tables whose PTE writes (and cleans) are issued by {@code cpu}:
     * a thread running on another CPU uses its own view. Views share everything else.
     *
     * @param cpu a CPU of the same machine
     * @return the view
     */
    public ArmLpaePageTable onCpu(Cpu cpu) {
        return new ArmLpaePageTable(set, new PteAccess(set, Objects.requireNonNull(cpu, "cpu")), pgd);
    }

    /** {@return the table's shape} */
    public LpaeConfig config() {
        return config;
    }

    /** {@return the pgd's physical address, for the context descriptor's TTB0} */
    public long ttbr() {
        return pgd;
    }

    /**
     * {@return the leaf entries (pages and blocks) the table holds: what a device could have in
     * its IOTLB for this table} Exact when no map or unmap is in flight.
     */
    public long leafCount() {
        return set.leaves();
    }

    /** {@return how many tables (the pgd included) are allocated to this page table} */
    public int tablesInUse() {
        return set.tablesInUse();
    }

    // -- map --

    /**
     * Maps {@code pgcount} pages of {@code pgsize} from {@code iova} to {@code paddr}
     * ({@code arm_lpae_map_pages}), at most up to the end of the table that holds {@code iova}'s
     * entry at {@code pgsize}'s level (§4.4 {@code max_entries}). Missing tables on the way are
     * installed lock-free. Every entry is checked before any is written, so a failure maps
     * nothing (Linux's {@code arm_lpae_init_pte}): {@link org.dmalib.iommu.api.spi.MapPagesException}
     * is never needed. Empty tables where blocks go are freed as Linux does (walk flush first);
     * a table that still maps something is refused as already mapped (Linux would drop its
     * leaves). No other TLB maintenance: no leaf invalidation, no gather.
     *
     * @param iova device address: a multiple of {@code pgsize}, below {@code 2^ias}
     * @param paddr physical address: a multiple of {@code pgsize}; the mapped range below
     *     {@code 2^oas}
     * @param pgsize one of {@link LpaeConfig#pageSizes()}
     * @param pgcount pages wanted: positive
     * @param prot READ or WRITE must be set
     * @return bytes mapped: {@code pgsize * min(pgcount, entries left in the table)}
     * @throws IllegalArgumentException naming {@code pgsize} or {@code pgcount} if not allowed
     * @throws UnalignedException if {@code iova} or {@code paddr} is not a multiple of {@code pgsize}
     * @throws OutOfRangeException if {@code iova} is beyond the IAS or the output beyond the OAS
     * @throws InvalidProtException if {@code prot} grants neither read nor write
     * @throws AlreadyMappedException naming the first mapped IOVA in the way; nothing is mapped
     * @throws org.dmalib.iommu.smmu.PageTableMemoryException if a table cannot be allocated;
     *     nothing is mapped (tables already installed on the way stay, empty)
     * @throws IllegalStateException if the table has been freed
     */
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
        Objects.requireNonNull(prot, "prot");
        int level = args.run("mapPages", iova, pgsize, pgcount);
        long n = Math.min(pgcount, config.maxEntries(iova, level));
        long size = n * pgsize; // n <= 8192 entries, pgsize <= 2^30: no overflow
        args.output("mapPages", paddr, size, pgsize, -1);
        if (!prot.isValidForMap()) {
            throw new InvalidProtException(prot);
        }
        long table = descendForMap(iova, level);
        installLeaves(table, iova, paddr, pgsize, n, level, LpaePte.protToPte(prot));
        // wmb() in Linux: every PTE of the new mapping is visible to the walker before any walk of
        // the new iova can start. A coherent walker snoops the stores (the fabric orders them);
        // for a non-coherent one installLeaves cleaned them and waited (ptes.sync).
        return size;
    }

    /**
     * Maps granule pages at consecutive device addresses to the physical pages of a list: page
     * {@code i} ({@code from <= i < from + count}) at {@code iova + (i - from) * granule} to
     * {@code paddrs[i]}, at most up to the end of the last-level table that holds
     * {@code iova}'s entry. This is the scatterlist walk Russell King asked of IOMMU drivers: one
     * descent to the last-level table for the whole run instead of one per page, the entries
     * checked in one read and written in one store, synced once. Every entry is checked before
     * any is written: a failure maps nothing. No TLB maintenance, as {@link #mapPages}.
     *
     * @param iova device address: a multiple of the granule, below {@code 2^ias}
     * @param paddrs physical page addresses: each a multiple of the granule, below {@code 2^oas}
     * @param from the first page of the run in {@code paddrs}
     * @param count pages wanted: positive, {@code from + count <= paddrs.length}
     * @param prot READ or WRITE must be set
     * @return bytes mapped: the granule times {@code min(count, entries left in the table)}
     * @throws IndexOutOfBoundsException if {@code from} and {@code count} leave {@code paddrs}
     * @throws IllegalArgumentException naming {@code count} if not positive
     * @throws UnalignedException naming the first unaligned physical address
     * @throws OutOfRangeException if {@code iova} is beyond the IAS, or naming the first page
     *     beyond the OAS
     * @throws InvalidProtException if {@code prot} grants neither read nor write
     * @throws AlreadyMappedException naming the first mapped IOVA in the way; nothing is mapped
     * @throws org.dmalib.iommu.smmu.PageTableMemoryException if a table cannot be allocated;
     *     nothing is mapped (tables already installed on the way stay, empty)
     * @throws IllegalStateException if the table has been freed
     */
    public long mapPageList(long iova, long[] paddrs, int from, int count, IommuProt prot) {
        Objects.requireNonNull(prot, "prot");
        if (count <= 0) {
            throw new IllegalArgumentException("mapPageList: count=" + count + " must be positive");
        }
        Objects.checkFromIndexSize(from, count, paddrs.length);
        long pgsize = config.granule();
        int level = args.run("mapPageList", iova, pgsize, count);
        int n = Math.min(count, config.maxEntries(iova, level)); // one table: <= 8192
        for (int i = from; i < from + n; i++) {
            args.output("mapPageList", paddrs[i], pgsize, pgsize, i);
        }
        if (!prot.isValidForMap()) {
            throw new InvalidProtException(prot);
        }
        long table = descendForMap(iova, level);
        long first = PteAccess.entry(table, config.index(iova, level));
        byte[] raw = ptes.loadRun(first, n);
        long attrs = LpaePte.protToPte(prot);
        for (int k = 0; k < n; k++) {
            // a last-level entry is empty or a page: no table can be in the way; the entry is
            // replaced in the copy only, stored after every entry passed (a failure stores none)
            if (LpaePte.isLeaf(PteAccess.pte(raw, k), level)) {
                throw new AlreadyMappedException(iova + k * pgsize);
            }
            PteAccess.putPte(raw, k, LpaePte.leaf(paddrs[from + k], attrs, level));
        }
        ptes.storeRun(first, raw);
        addLeaves(table, level, n);
        ptes.sync(first, n);
        // as mapPages: visible to a coherent walker through the fabric, cleaned for another
        return n * pgsize;
    }

    /** __arm_lpae_map above the target level: returns the table holding the leaves. */
    private long descendForMap(long iova, int target) {
        long table = pgd;
        for (int l = config.startLevel(); l < target; l++) {
            long ptep = PteAccess.entry(table, config.index(iova, l));
            long pte = ptes.load(ptep);
            if (pte == 0) {
                long fresh = ptes.newTable(config.granule());
                pte = ptes.installTable(ptep, fresh);
                if (pte != 0) {
                    // somebody else's table won the race: drop ours and continue in theirs
                    ptes.discardTable(fresh, config.granule());
                    set.lostRace();
                } else {
                    pte = LpaePte.table(fresh);
                }
            } else if (!config.coherentWalk() && (pte & LpaePte.SW_SYNC) == 0) {
                // the installer may not have cleaned its entry yet: clean it rather than wait
                ptes.sync(ptep, 1);
            }
            if (!LpaePte.isTable(pte, l)) {
                throw new AlreadyMappedException(iova); // a block at this level covers iova
            }
            table = LpaePte.toPaddr(pte);
        }
        return table;
    }

    /**
     * arm_lpae_init_pte: check all n entries, free empty tables, write the leaves, sync once. The
     * n entries are read in one run and written in one run (the same lines, in the same order,
     * as entry by entry; see {@link PteAccess#loadRun}).
     *
     * <p>The leaves are built into the run's copy as the entries are checked, in one pass: an
     * empty entry (the usual case, a fresh table) is replaced at once. The first entry that is
     * not empty sends the rest of the run to {@link #installOver}, Linux's separate check pass;
     * the entries before it were empty, so neither pass could have thrown for them, and a
     * failure still stores nothing (only the copy was written).
     */
    private void installLeaves(
            long table, long iova, long paddr, long pgsize, long n, int level, long attrs) {
        long first = PteAccess.entry(table, config.index(iova, level));
        int count = (int) n; // n <= 8192 entries: one table
        byte[] raw = ptes.loadRun(first, count);
        long leaf = LpaePte.leaf(paddr, attrs, level);
        int k = 0;
        for (; k < count; k++) {
            if (PteAccess.pte(raw, k) != 0) {
                break;
            }
            // paddr + k * pgsize is pgsize-aligned and below 2^oas <= 2^48 (checked): the sum
            // stays in the address bits, as LpaePte.leaf of it would put it
            PteAccess.putPte(raw, k, leaf + k * pgsize);
        }
        if (k < count) {
            installOver(raw, first, k, count, iova, paddr, pgsize, level, attrs);
        }
        ptes.storeRun(first, raw);
        addLeaves(table, level, n);
        ptes.sync(first, n);
    }

    /**
     * {@link #installLeaves} of entries {@code [from, count)} of the run, the first of which is
     * not empty: checks them all (a leaf, or a table that still maps something, is refused),
     * frees the empty tables among them, then builds their leaves into the copy.
     */
    private void installOver(byte[] raw, long first, int from, int count, long iova, long paddr,
            long pgsize, int level, long attrs) {
        boolean anyTable = false;
        for (int k = from; k < count; k++) {
            long pte = PteAccess.pte(raw, k);
            if (LpaePte.isLeaf(pte, level)) {
                throw new AlreadyMappedException(iova + k * pgsize);
            }
            if (LpaePte.isTable(pte, level)) {
                long leaf = ptes.firstLeaf(LpaePte.toPaddr(pte), level + 1, iova + k * pgsize);
                if (leaf >= 0) {
                    throw new AlreadyMappedException(leaf);
                }
                anyTable = true;
            }
        }
        if (anyTable) {
            // removing one table changes only its own entry: the run read above stays current
            for (int k = from; k < count; k++) {
                long pte = PteAccess.pte(raw, k);
                if (LpaePte.isTable(pte, level)) {
                    removeTable(PteAccess.entry(first, k), pte, iova + k * pgsize, pgsize, level);
                }
            }
        }
        for (int k = from; k < count; k++) {
            PteAccess.putPte(raw, k, LpaePte.leaf(paddr + k * pgsize, attrs, level));
        }
    }

    /** Counts {@code delta} leaves written into (or cleared from) {@code table} at {@code level}. */
    private void addLeaves(long table, int level, long delta) {
        if (level == LpaeConfig.LAST_LEVEL) {
            set.addTableLeaves(table, delta); // freeTree reads the count, not the table
        } else {
            set.addLeaves(delta);
        }
    }

    /**
     * Clears the table entry {@code ptep} (holding {@code pte}, mapping {@code [iova, iova + size)}),
     * flushes the walk cache for it synchronously, and only then frees the table's tree.
     */
    private void removeTable(long ptep, long pte, long iova, long size, int level) {
        ptes.store(ptep, 0);
        ptes.sync(ptep, 1);
        // the walk cache may still hold the pointer: invalidate it, and wait, before the table's
        // memory can be reused by anyone (reference §4.5, io_pgtable_tlb_flush_walk)
        set.flushOps.flushWalk(iova, size, config.granule());
        ptes.freeTree(LpaePte.toPaddr(pte), level + 1);
    }

    // -- unmap --

    /**
     * Unmaps {@code pgcount} pages of {@code pgsize} from {@code iova} ({@code arm_lpae_unmap_pages},
     * Linux ≥ 6.13), at most up to the end of the table that holds {@code iova}'s entry. Stops at
     * the first empty entry. A table entry met where {@code pgsize} is a block is cleared, the walk
     * cache flushed for it ({@code flushWalk(entry's iova, pgsize, granule)}, synchronous), then
     * its tree freed. The cleared entries then go to the gather as one run,
     * {@code flushOps.addPages(gather, iova, pgsize, k)} (each entry's {@code addPage}), unless
     * the gather is queued.
     *
     * @param iova device address: a multiple of {@code pgsize}, below {@code 2^ias}
     * @param pgsize one of {@link LpaeConfig#pageSizes()}
     * @param pgcount pages: positive
     * @param gather the unmap's gather
     * @return bytes unmapped, a multiple of {@code pgsize}; 0 if nothing is mapped at {@code iova}
     *     (a hole: the caller stops)
     * @throws PartialUnmapException if a block bigger than {@code pgsize} maps {@code iova};
     *     nothing is changed
     * @throws IllegalArgumentException naming {@code pgsize} or {@code pgcount} if not allowed
     * @throws UnalignedException if {@code iova} is not a multiple of {@code pgsize}
     * @throws OutOfRangeException if {@code iova} is beyond the IAS
     * @throws IllegalStateException if the table has been freed
     */
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        Objects.requireNonNull(gather, "gather");
        int level = args.run("unmapPages", iova, pgsize, pgcount);
        long n = Math.min(pgcount, config.maxEntries(iova, level));
        long table = pgd;
        for (int l = config.startLevel(); l < level; l++) {
            long pte = ptes.load(PteAccess.entry(table, config.index(iova, l)));
            if (pte == 0) {
                return 0; // Linux: WARN, -ENOENT through a size_t: the caller stops
            }
            if (LpaePte.isLeaf(pte, l)) {
                long block = config.blockSize(l);
                throw new PartialUnmapException(iova, n * pgsize, iova & -block, block);
            }
            table = LpaePte.toPaddr(pte);
        }
        long first = PteAccess.entry(table, config.index(iova, level));
        // the n entries in one run: past a hole (Linux WARNs and stops there) this reads
        // entries Linux would not, the only difference from reading them one by one
        int count = (int) n; // n <= 8192 entries: one table
        byte[] raw = ptes.loadRun(first, count);
        int k = 0;
        long leaves = 0;
        for (; k < count; k++) {
            long pte = PteAccess.pte(raw, k);
            if (pte == 0) {
                break;
            }
            if (LpaePte.isTable(pte, level)) {
                // counts its leaves; changes only its own entry, which the run below clears again
                removeTable(PteAccess.entry(first, k), pte, iova + k * pgsize, pgsize, level);
            } else {
                leaves++;
            }
        }
        addLeaves(table, level, -leaves);
        if (k > 0) {
            ptes.clearRun(first, k);
        }
        // the cleared entries reach a non-coherent walker before the caller's TLB sync
        ptes.sync(first, k);
        if (!gather.isQueued() && k > 0) {
            set.flushOps.addPages(gather, iova, pgsize, k);
        }
        return (long) k * pgsize;
    }

    /**
     * Refuses an unmap of {@code [iova, iova + size)} that starts or ends strictly inside a block
     * mapping (Linux ≥ 6.13 no longer splits blocks); touches nothing.
     *
     * @param iova first byte: a multiple of the granule
     * @param size bytes: positive, a multiple of the granule, {@code iova + size <= 2^ias}
     * @throws PartialUnmapException naming the block that would be split
     * @throws IllegalArgumentException naming {@code size} if not positive
     * @throws UnalignedException if {@code iova} or {@code size} is not a multiple of the granule
     * @throws OutOfRangeException if the range leaves {@code [0, 2^ias)}
     * @throws IllegalStateException if the table has been freed
     */
    public void checkUnmap(long iova, long size) {
        args.live();
        if (size <= 0) {
            throw new IllegalArgumentException("checkUnmap: size=" + size + " must be positive");
        }
        if (((iova | size) & (config.granule() - 1)) != 0) {
            throw new UnalignedException(String.format(
                    "checkUnmap: iova=0x%x size=0x%x not multiples of granule=0x%x",
                    iova, size, config.granule()));
        }
        if (iova < 0 || iova >= config.inputLimit() || size > config.inputLimit() - iova) {
            throw new OutOfRangeException(String.format(
                    "checkUnmap: iova=0x%x size=0x%x leaves ias=%d", iova, size, config.ias()));
        }
        long last = iova + size - 1;
        for (long at : new long[] {iova, last}) {
            Leaf leaf = findLeaf(at);
            if (leaf != null && leaf.level() < LpaeConfig.LAST_LEVEL) {
                long block = config.blockSize(leaf.level());
                long start = at & -block;
                if (start < iova || start + block - 1 > last) {
                    throw new PartialUnmapException(iova, size, start, block);
                }
            }
        }
    }

    // -- walks --

    /**
     * Translates {@code iova} by a software walk ({@code arm_lpae_iova_to_phys}).
     *
     * @param iova a device address below {@code 2^ias}
     * @return the physical address, or empty if nothing maps {@code iova}
     * @throws OutOfRangeException if {@code iova} is beyond the IAS
     * @throws IllegalStateException if the table has been freed
     */
    public OptionalLong iovaToPhys(long iova) {
        args.live();
        args.iova("iovaToPhys", iova);
        Leaf leaf = findLeaf(iova);
        if (leaf == null) {
            return OptionalLong.empty();
        }
        long offset = iova & (config.blockSize(leaf.level()) - 1);
        return OptionalLong.of(LpaePte.toPaddr(leaf.pte()) | offset);
    }

    /** A leaf PTE and the level it was found at. */
    private record Leaf(int level, long pte) {}

    /** Walks for {@code iova} ({@code __arm_lpae_iopte_walk}); null if no leaf maps it. */
    private Leaf findLeaf(long iova) {
        long table = pgd;
        for (int l = config.startLevel(); ; l++) {
            long pte = ptes.load(PteAccess.entry(table, config.index(iova, l)));
            if (LpaePte.isLeaf(pte, l)) {
                return new Leaf(l, pte);
            }
            if (!LpaePte.isTable(pte, l)) {
                return null;
            }
            table = LpaePte.toPaddr(pte);
        }
    }

    // -- teardown --

    /**
     * Frees every table, the pgd included ({@code arm_lpae_free_pgtable}). The caller has made
     * the table unreachable (no context descriptor points to it) and invalidated its ASID; no TLB
     * work is done here. Every later map, unmap, {@link #checkUnmap}, {@link #iovaToPhys} or
     * {@code free} on this table or its views throws; {@link #config()}, {@link #ttbr()},
     * {@link #leafCount()} (then 0) and {@link #tablesInUse()} (then 0) still answer.
     *
     * @throws IllegalStateException if already freed
     */
    public void free() {
        if (!set.markFreed()) {
            throw new IllegalStateException(String.format("page table ttbr=0x%x already freed", pgd));
        }
        ptes.freeTree(pgd, config.startLevel());
    }

    // -- for tests --

    /** Returns how many tables are reachable from the pgd, the pgd included. */
    int reachableTables() {
        return ptes.countTree(pgd, config.startLevel());
    }

    /** Returns how many install races were lost (tables allocated and freed unused). */
    long lostInstallRaces() {
        return set.lostRaces();
    }
}

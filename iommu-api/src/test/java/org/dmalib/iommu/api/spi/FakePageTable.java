package org.dmalib.iommu.api.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.CostModel;
import org.dmalib.iommu.api.internal.tlb.InvalidationPlanner;
import org.dmalib.iommu.api.internal.tlb.InvalidationRequest;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.internal.tlb.RefillEstimate;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;

/**
 * A test double of an SMMUv3 driver over an LPAE-like page table: leaf entries in a map, a
 * per-call limit of the entries left in the current table (as io-pgtable), refusal to unmap part
 * of a block (Linux >= 6.13), table teardown with a synchronous walk flush, and an IOTLB that
 * caches translations until a planned command removes them. Single-threaded.
 */
final class FakePageTable implements IommuDomainOps, FlushOps {
    record Leaf(long iova, long paddr, long size, IommuProt prot) {
        boolean contains(long va) {
            return va >= iova && va - iova < size;
        }
    }

    record MapCall(long iova, long paddr, long pgsize, long pgcount) {}

    /** A failure to inject: the map call for the page at {@code iova} throws. */
    static final class NoMemory extends IommuException {
        private static final long serialVersionUID = 1L;

        NoMemory(long iova) {
            super(String.format("no memory for a table at iova=0x%x", iova));
        }
    }

    // 512 entries per table: a 4 KiB table of 8-byte PTEs
    private static final long ENTRIES_PER_TABLE = 512;

    final NavigableMap<Long, Leaf> leaves = new TreeMap<>();
    final NavigableMap<Long, Leaf> iotlb = new TreeMap<>();
    final List<MapCall> mapCalls = new ArrayList<>();
    final List<TlbCommand> commands = new ArrayList<>();
    int flushAllCalls;
    int flushWalkCalls;
    int addPageCalls;
    int syncCalls;
    long failAtIova = -1;

    private final long granule;
    private final InvalidationStrategy strategy;
    private final boolean ril;

    FakePageTable(long granule, InvalidationStrategy strategy, boolean ril) {
        this.granule = granule;
        this.strategy = strategy;
        this.ril = ril;
    }

    /** Returns how many invalidation-related calls and commands there have been. */
    int invalidationActivity() {
        return flushAllCalls + flushWalkCalls + addPageCalls + syncCalls + commands.size();
    }

    /** A device access: caches the translation of {@code va} in the IOTLB if mapped. */
    void touch(long va) {
        Map.Entry<Long, Leaf> e = leaves.floorEntry(va);
        if (e != null && e.getValue().contains(va)) {
            iotlb.put(e.getKey(), e.getValue());
        }
    }

    /** Returns the cached entries overlapping {@code [iova, iova + size)}. */
    List<Leaf> cachedIn(long iova, long size) {
        List<Leaf> out = new ArrayList<>();
        long last = iova + size - 1; // inclusive: the top of a 63-bit space ends at 2^63
        for (Leaf l : iotlb.values()) {
            if (l.iova() <= last && iova <= l.iova() + (l.size() - 1)) {
                out.add(l);
            }
        }
        return out;
    }

    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
        mapCalls.add(new MapCall(iova, paddr, pgsize, pgcount));
        long tableSpan = pgsize * ENTRIES_PER_TABLE;
        long leftInTable = (tableSpan - (iova & (tableSpan - 1))) / pgsize;
        long n = Math.min(pgcount, leftInTable);
        for (long k = 0; k < n; k++) {
            long va = iova + k * pgsize;
            IommuException why = null;
            if (va == failAtIova) {
                why = new NoMemory(va);
            } else if (!leaves.subMap(va, true, va + (pgsize - 1), true).isEmpty()
                    || coveringLeaf(va) != null) {
                why = new AlreadyMappedException(va);
            }
            if (why != null) {
                if (k == 0) {
                    throw why;
                }
                throw new MapPagesException(k * pgsize, why);
            }
            leaves.put(va, new Leaf(va, paddr + k * pgsize, pgsize, prot));
        }
        return n * pgsize;
    }

    private Leaf coveringLeaf(long va) {
        Map.Entry<Long, Leaf> e = leaves.floorEntry(va);
        return e != null && e.getValue().contains(va) ? e.getValue() : null;
    }

    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        long k = 0;
        for (; k < pgcount; k++) {
            long va = iova + k * pgsize;
            Leaf cover = coveringLeaf(va);
            if (cover != null && cover.size() > pgsize) {
                break; // "Unmap of a partial large IOPTE is not allowed"
            }
            NavigableMap<Long, Leaf> inside = leaves.subMap(va, true, va + (pgsize - 1), true);
            if (inside.isEmpty()) {
                break; // hole
            }
            boolean table = !(inside.size() == 1 && inside.firstEntry().getValue().size() == pgsize);
            inside.clear();
            if (table) {
                flushWalk(va, pgsize, granule);
            }
        }
        if (!gather.isQueued()) {
            for (long j = 0; j < k; j++) {
                addPage(gather, iova + j * pgsize, pgsize);
            }
        }
        return k * pgsize;
    }

    @Override
    public void flushIotlbAll() {
        flushAllCalls++;
        iotlb.clear();
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
        syncCalls++;
        if (gather.isEmpty()) {
            return;
        }
        execute(new InvalidationRequest(1, gather.start(), gather.size(), gather.pgsize(), true,
                granule, ril));
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        Leaf l = coveringLeaf(iova);
        return l == null ? OptionalLong.empty() : OptionalLong.of(l.paddr() + (iova - l.iova()));
    }

    @Override
    public void flushAll() {
        flushIotlbAll();
    }

    @Override
    public void flushWalk(long iova, long size, long leafGranule) {
        flushWalkCalls++;
        execute(new InvalidationRequest(1, iova, size, leafGranule, false, granule, ril));
    }

    @Override
    public void addPage(IotlbGather gather, long iova, long pageSize) {
        addPageCalls++;
        gather.addPage(iova, pageSize, this::iotlbSync);
    }

    private void execute(InvalidationRequest request) {
        List<TlbCommand> plan = InvalidationPlanner.plan(strategy, request, CostModel.GEM5,
                new RefillEstimate(iotlb.size(), 4));
        for (TlbCommand c : plan) {
            commands.add(c);
            apply(c);
        }
    }

    /** The IOTLB's view of a command: which cached entries it removes. */
    private void apply(TlbCommand c) {
        if (c instanceof TlbCommand.TlbiNhAsid || c instanceof TlbCommand.TlbiNhAll) {
            iotlb.clear();
        } else if (c instanceof TlbCommand.TlbiNhVa va) {
            if (!va.isRange()) {
                iotlb.values().removeIf(l -> l.contains(va.address()));
            } else {
                // inclusive last byte, capped: a widened window may reach past 2^63
                long last = va.rangeBytes() - 1 > Long.MAX_VALUE - va.address()
                        ? Long.MAX_VALUE : va.address() + (va.rangeBytes() - 1);
                iotlb.values().removeIf(l -> l.iova() <= last
                        && va.address() <= l.iova() + (l.size() - 1)
                        && (va.ttl() == 0 || l.size() == levelSize(va.ttl())));
            }
        }
    }

    /** Bytes mapped by one entry at {@code level} (3 = leaf page) with this table's granule. */
    private long levelSize(int level) {
        int shift = Long.numberOfTrailingZeros(granule);
        return 1L << (shift + (3 - level) * (shift - 3));
    }
}

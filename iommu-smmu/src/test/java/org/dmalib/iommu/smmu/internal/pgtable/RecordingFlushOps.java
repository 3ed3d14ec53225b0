package org.dmalib.iommu.smmu.internal.pgtable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * A contract-checking {@link FlushOps} double, after the kernel self-test's {@code dummy_tlb_ops}:
 * records every call, with the table blocks still allocated when a walk flush came (a walk flush
 * must precede the free of the table it covers), and checks the granule and alignment contract.
 */
final class RecordingFlushOps implements FlushOps {
    /** One walk flush and what was allocated when it came. */
    record Walk(long iova, long size, long granule, long blocksInUse) {}

    /** One leaf invalidation handed to the gather. */
    record Page(long iova, long granule) {}

    private final TableMemory memory;
    private final long granule;
    private final List<Walk> walks = Collections.synchronizedList(new ArrayList<>());
    private final List<Page> pages = Collections.synchronizedList(new ArrayList<>());
    private final List<String> flushAlls = Collections.synchronizedList(new ArrayList<>());
    private final List<IotlbGather> syncs = Collections.synchronizedList(new ArrayList<>());
    private volatile Consumer<Walk> onWalk = w -> {};

    RecordingFlushOps(TableMemory memory, long granule) {
        this.memory = memory;
        this.granule = granule;
    }

    @Override
    public void flushAll() {
        flushAlls.add("flushAll");
    }

    @Override
    public void flushWalk(long iova, long size, long granuleArg) {
        if (granuleArg != granule || iova % size != 0) {
            throw new AssertionError(String.format(
                    "flushWalk iova=0x%x size=0x%x granule=0x%x", iova, size, granuleArg));
        }
        Walk w = new Walk(iova, size, granuleArg, memory.blocksInUse());
        walks.add(w);
        onWalk.accept(w);
    }

    @Override
    public void addPage(IotlbGather gather, long iova, long granuleArg) {
        if (gather.isQueued() || iova % granuleArg != 0) {
            throw new AssertionError(String.format(
                    "addPage iova=0x%x granule=0x%x queued=%b", iova, granuleArg, gather.isQueued()));
        }
        pages.add(new Page(iova, granuleArg));
        gather.addPage(iova, granuleArg, syncs::add);
    }

    /** Runs {@code check} inside every later walk flush, before it returns to the page table. */
    void onWalk(Consumer<Walk> check) {
        onWalk = check;
    }

    List<Walk> walks() {
        return List.copyOf(walks);
    }

    List<Page> pages() {
        return List.copyOf(pages);
    }

    /** Returns the number of calls of any kind. */
    int calls() {
        return walks.size() + pages.size() + flushAlls.size();
    }
}

package org.dmalib.iommu.smmu;

import java.util.OptionalLong;
import org.dmalib.iommu.api.DomainFreedException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.IommuDomainOps;

/**
 * The driver's side of one paging domain ({@code struct arm_smmu_domain} with its
 * {@code iommu_domain_ops}): page-table operations delegated to the domain's table, IOTLB
 * maintenance to its {@link DomainFlushOps}. Map issues no invalidation: an SMMUv3 caches no
 * invalid entries, so there is no {@code iotlb_sync_map}.
 *
 * <p>Thread-safety: safe for concurrent calls on disjoint ranges (the table's guarantee). After
 * {@link SmmuV3#freeDomain} the table is gone: every call throws {@link IllegalStateException}.
 */
final class SmmuDomain implements IommuDomainOps {
    private final DomainFlushOps flush;
    private final DomainPageTable table;
    private final long granule;
    private volatile boolean freed;

    SmmuDomain(DomainFlushOps flush, DomainPageTable table) {
        this.flush = flush;
        this.table = table;
        this.granule = table.pageSizes().minPageSize();
    }

    DomainFlushOps flush() {
        return flush;
    }

    DomainPageTable table() {
        return table;
    }

    int asid() {
        return flush.asid();
    }

    void markFreed() {
        freed = true;
    }

    /**
     * Publishes the table's leaf count for the refill estimate. A thread that read the count
     * before another thread's map or unmap changed it may publish after that thread: it reads the
     * count again and republishes until the two agree, so that once no call is in flight the
     * estimate is the table's count (single-threaded, one more read of an atomic).
     */
    private void publishLiveEntries() {
        long n = table.leafCount();
        while (true) {
            flush.setLiveEntries(n);
            // the re-read after the set: a newer count set before ours is then seen and restored
            long now = table.leafCount();
            if (now == n) {
                return;
            }
            n = now;
        }
    }

    private void checkLive() {
        if (freed) {
            throw new DomainFreedException("domain with asid=" + flush.asid() + " was freed");
        }
    }

    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
        checkLive();
        try {
            return table.mapPages(iova, paddr, pgsize, pgcount, prot);
        } finally {
            publishLiveEntries();
        }
    }

    /**
     * {@inheritDoc} The domain's LPAE table maps the run in one walk, up to the end of the
     * last-level table.
     *
     * @throws IllegalArgumentException naming {@code pgsize} if it is not the table's granule
     */
    @Override
    public long mapPageList(long iova, long pgsize, long[] paddrs, int from, int count,
            IommuProt prot) {
        checkLive();
        if (pgsize != granule) {
            throw new IllegalArgumentException(String.format(
                    "mapPageList: pgsize=0x%x is not the granule 0x%x", pgsize, granule));
        }
        try {
            return table.mapPageList(iova, paddrs, from, count, prot);
        } finally {
            publishLiveEntries();
        }
    }

    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        checkLive();
        try {
            return table.unmapPages(iova, pgsize, pgcount, gather);
        } finally {
            publishLiveEntries();
        }
    }

    @Override
    public void checkUnmap(long iova, long size) {
        checkLive();
        table.checkUnmap(iova, size);
    }

    @Override
    public void flushIotlbAll() {
        checkLive();
        flush.flushAll();
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
        checkLive();
        flush.iotlbSync(gather);
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        checkLive();
        return table.iovaToPhys(iova);
    }
}

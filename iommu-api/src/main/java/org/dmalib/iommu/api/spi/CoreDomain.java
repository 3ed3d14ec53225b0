package org.dmalib.iommu.api.spi;

import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidProtException;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.PageRun;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.jfr.MapEvent;
import org.dmalib.iommu.api.internal.jfr.UnmapEvent;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;

/**
 * The IOMMU core's domain (reference §3.3 and §3.4): argument checks, the {@code iommu_pgsize}
 * loops over the driver's {@code mapPages}/{@code unmapPages}, undo of a failed map, and the sync
 * of {@code unmap}. Keeps no mutable state of its own; thread-safety is the driver's.
 */
final class CoreDomain implements GatheringDomain {
    private static final long APERTURE_START = 0;

    private final IommuDomainOps ops;
    private final PageSizes pageSizes;
    private final DomainType type;
    private final InvalidationStrategy strategy;
    private final long apertureEnd;
    private final AtomicBoolean dmaCookie = new AtomicBoolean();

    CoreDomain(IommuDomainOps ops, PageSizes pageSizes, DomainType type,
            InvalidationStrategy strategy, long apertureEnd) {
        this.ops = Objects.requireNonNull(ops, "ops");
        this.pageSizes = Objects.requireNonNull(pageSizes, "pageSizes");
        this.type = Objects.requireNonNull(type, "type");
        this.strategy = Objects.requireNonNull(strategy, "strategy");
        this.apertureEnd = apertureEnd;
    }

    @Override
    public DomainType type() {
        return type;
    }

    @Override
    public InvalidationStrategy strategy() {
        return strategy;
    }

    @Override
    public PageSizes pageSizes() {
        return pageSizes;
    }

    @Override
    public long apertureStart() {
        return APERTURE_START;
    }

    @Override
    public long apertureEnd() {
        return apertureEnd;
    }

    @Override
    public void map(long iova, long paddr, long size, IommuProt prot) {
        MapEvent event = new MapEvent();
        event.start();
        boolean succeeded = false;
        try {
            mapUntraced(iova, paddr, size, prot);
            succeeded = true;
        } finally {
            event.finish(iova, paddr, size, prot, type, strategy, succeeded);
        }
    }

    private void mapUntraced(long iova, long paddr, long size, IommuProt prot) {
        Objects.requireNonNull(prot, "prot");
        if (iova < 0 || paddr < 0 || size < 0 || paddr > Long.MAX_VALUE - size) {
            throw new OutOfRangeException(String.format(
                    "map: iova=0x%x paddr=0x%x size=0x%x must not be negative or wrap",
                    iova, paddr, size));
        }
        if (!prot.isValidForMap()) {
            throw new InvalidProtException(prot);
        }
        long min = pageSizes.minPageSize();
        if (((iova | paddr | size) & (min - 1)) != 0) {
            throw UnalignedException.map(iova, paddr, size, min);
        }
        if (size == 0) {
            return;
        }
        checkAperture(iova, size);
        RunMapper runs = new RunMapper(ops, pageSizes, prot, iova, size, false);
        try {
            runs.add(paddr, size);
        } catch (RuntimeException e) {
            undoMap(iova, runs.mapped(), e);
            throw e;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Here every run is checked before anything is mapped, and smallest-size pages of
     * consecutive runs reach the driver together, as page lists
     * ({@link IommuDomainOps#mapPageList}, one table's worth at most per call); larger pages
     * go to {@link IommuDomainOps#mapPages} as in {@link #map}. Traced as one map event whose
     * physical address is the first run's.
     */
    @Override
    public void mapRuns(long iova, long[] paddrs, long[] sizes, int count, IommuProt prot) {
        Objects.requireNonNull(prot, "prot");
        Objects.checkFromIndexSize(0, count, Math.min(paddrs.length, sizes.length));
        MapEvent event = new MapEvent();
        event.start();
        long total = 0;
        boolean succeeded = false;
        try {
            total = checkRuns(iova, paddrs, sizes, count, prot);
            if (total > 0) {
                RunMapper runs = new RunMapper(ops, pageSizes, prot, iova, total, true);
                try {
                    if (allSmallestPages(sizes, count)) {
                        // every run one smallest page (a scatterlist of pages): the same page
                        // lists as run by run, taken from paddrs without a copy
                        runs.addSinglePages(paddrs, count);
                    } else {
                        for (int i = 0; i < count; i++) {
                            runs.add(paddrs[i], sizes[i]);
                        }
                        runs.flush();
                    }
                } catch (RuntimeException e) {
                    undoMap(iova, runs.mapped(), e);
                    throw e;
                }
            }
            succeeded = true;
        } finally {
            event.finish(iova, count > 0 ? paddrs[0] : 0, total, prot, type, strategy, succeeded);
        }
    }

    /** Checks every run of a {@link #mapRuns} call as {@link #map} checks its range; returns the total. */
    private long checkRuns(long iova, long[] paddrs, long[] sizes, int count, IommuProt prot) {
        if (!prot.isValidForMap()) {
            throw new InvalidProtException(prot);
        }
        long min = pageSizes.minPageSize();
        long total = 0;
        for (int i = 0; i < count; i++) {
            long p = paddrs[i];
            long size = sizes[i];
            if (iova < 0 || p < 0 || size < 0 || p > Long.MAX_VALUE - size
                    || total > Long.MAX_VALUE - iova - size) {
                throw new OutOfRangeException(String.format(
                        "mapRuns: run %d iova=0x%x paddr=0x%x size=0x%x must not be negative or wrap",
                        i, iova + total, p, size));
            }
            if (((iova | p | size) & (min - 1)) != 0) {
                throw UnalignedException.map(iova + total, p, size, min);
            }
            total += size;
        }
        if (total > 0) {
            checkAperture(iova, total);
        }
        return total;
    }

    /** Returns whether each of the first {@code count} runs is exactly one smallest page. */
    private boolean allSmallestPages(long[] sizes, int count) {
        long min = pageSizes.minPageSize();
        for (int i = 0; i < count; i++) {
            if (sizes[i] != min) {
                return false;
            }
        }
        return true;
    }

    /**
     * iommu_map's unwind: unmap (with a sync) what this call mapped before it failed. A failure
     * of the undo itself is added to {@code failure} as suppressed: the map's failure is the one
     * the caller sees.
     */
    private void undoMap(long iova, long mapped, RuntimeException failure) {
        if (mapped == 0) {
            return;
        }
        long undone;
        try {
            undone = unmap(iova, mapped);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
            return;
        }
        if (undone != mapped) {
            failure.addSuppressed(new IllegalStateException(String.format(
                    "undo of a failed map: unmapped=0x%x of mapped=0x%x at iova=0x%x",
                    undone, mapped, iova)));
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>As {@code iommu_unmap}, the gather is synced whatever the loop unmapped: if the driver
     * throws part-way, what it gathered before the throw is synced before the exception
     * propagates, and a failure of that sync is added to it as suppressed.
     */
    @Override
    public long unmap(long iova, long size) {
        UnmapEvent event = new UnmapEvent();
        event.start();
        long unmapped = -1; // what the event reports if the unmap throws
        try {
            IotlbGather gather = new IotlbGather();
            long n;
            try {
                n = unmapUntraced(iova, size, gather);
            } catch (RuntimeException | Error e) {
                syncAfterFailure(gather, e);
                throw e;
            }
            iotlbSync(gather);
            unmapped = n; // only now: a sync that throws is a call that threw
            return n;
        } finally {
            event.finish(iova, size, unmapped, true, type, strategy);
        }
    }

    /**
     * Syncs what a failed unmap gathered before its driver threw: those entries are cleared
     * from the page table, and the IOTLB must not keep translating them to pages the caller
     * will free. Nothing is synced if nothing was gathered (the argument checks, and
     * {@code checkUnmap}, run before anything is unmapped). A failure of the sync is added to
     * {@code failure} as suppressed, so that the driver's first exception is the one thrown.
     */
    private void syncAfterFailure(IotlbGather gather, Throwable failure) {
        if (gather.isEmpty()) {
            return;
        }
        try {
            iotlbSync(gather);
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public long unmapFast(long iova, long size, IotlbGather gather) {
        UnmapEvent event = new UnmapEvent();
        event.start();
        long unmapped = -1; // what the event reports if the unmap throws
        try {
            unmapped = unmapUntraced(iova, size, gather);
            return unmapped;
        } finally {
            event.finish(iova, size, unmapped, false, type, strategy);
        }
    }

    /** {@link #unmapFast} without its trace event, so that {@link #unmap} records one event. */
    private long unmapUntraced(long iova, long size, IotlbGather gather) {
        Objects.requireNonNull(gather, "gather");
        if (iova < 0 || size < 0) {
            throw new OutOfRangeException(String.format(
                    "unmap: iova=0x%x size=0x%x must not be negative", iova, size));
        }
        long min = pageSizes.minPageSize();
        if (((iova | size) & (min - 1)) != 0) {
            throw UnalignedException.unmap(iova, size, min);
        }
        if (size == 0) {
            return 0;
        }
        checkAperture(iova, size);
        ops.checkUnmap(iova, size); // refuses a partial block before anything changes

        long unmapped = 0;
        while (unmapped < size) {
            long at = iova + unmapped;
            PageRun run = pageSizes.pgsize(at, at, size - unmapped);
            long n = ops.unmapPages(at, run.pgsize(), run.pgcount(), gather);
            if (n == 0) {
                break;
            }
            if (!RunMapper.isValidCount(n, run.pgsize(), run.pgcount(), false)) {
                throw RunMapper.driverBug("unmapPages returned", n, at, run);
            }
            unmapped += n;
        }
        return unmapped;
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
        ops.iotlbSync(gather);
        gather.reset();
    }

    @Override
    public void flushIotlbAll() {
        ops.flushIotlbAll();
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        if (iova < APERTURE_START || iova > apertureEnd) {
            throw OutOfRangeException.outsideAperture(iova, 1, APERTURE_START, apertureEnd);
        }
        return Objects.requireNonNull(ops.iovaToPhys(iova), "driver iovaToPhys returned null");
    }

    private void checkAperture(long iova, long size) {
        // iova >= 0 and size > 0 here; compare the last byte so 2^63 - 1 needs no overflow
        if (iova > apertureEnd || size - 1 > apertureEnd - iova) {
            throw OutOfRangeException.outsideAperture(iova, size, APERTURE_START, apertureEnd);
        }
    }

    @Override
    public String toString() {
        return String.format("IommuDomain[%s %s %s aperture=0x%x-0x%x]",
                type, strategy, pageSizes, APERTURE_START, apertureEnd);
    }

    @Override
    public boolean claimDmaCookie() {
        return dmaCookie.compareAndSet(false, true); // one winner among racing DMA-domain setups
    }
}

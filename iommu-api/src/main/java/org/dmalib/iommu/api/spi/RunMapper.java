package org.dmalib.iommu.api.spi;

import org.dmalib.iommu.api.PageRun;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.IommuProt;

/**
 * One map call of the core in progress: the {@code iommu_pgsize} loop over the driver's
 * {@link IommuDomainOps#mapPages}, and for {@link CoreDomain#mapRuns} the smallest-size pages of
 * consecutive runs collected into a page list for {@link IommuDomainOps#mapPageList}. Every
 * count the driver returns is checked against the SPI contract. Runs are mapped in IOVA order
 * from the call's first address, so what is mapped is always a prefix: {@link #mapped} bytes,
 * which the core unmaps if the call fails.
 *
 * <p>Not thread-safe: one instance per call, on the caller's thread.
 */
final class RunMapper {
    // one 4K last-level table's worth of pages: a driver maps at most a table per list call
    private static final int LIST_PAGES = 512;

    private final IommuDomainOps ops;
    private final PageSizes pageSizes;
    private final IommuProt prot;
    private final long iova;
    private final long min;
    private final long total;   // the call's bytes: sizes the page list
    private final boolean listPages;
    private long[] pages;       // the collected page list, made on the first page collected
    private int pending;        // pages collected in the list, not yet handed to the driver
    private long mapped;

    /**
     * Starts a map call at {@code iova}.
     *
     * @param total the bytes the call maps: at least 1, sizes the page list
     * @param listPages whether smallest-size pages are collected into page lists
     */
    RunMapper(IommuDomainOps ops, PageSizes pageSizes, IommuProt prot, long iova, long total,
            boolean listPages) {
        this.ops = ops;
        this.pageSizes = pageSizes;
        this.prot = prot;
        this.iova = iova;
        this.min = pageSizes.minPageSize();
        this.listPages = listPages;
        this.total = total;
    }

    /** The page list, made when the first page is collected: {@link #addSinglePages} needs none. */
    private long[] pages() {
        if (pages == null) {
            pages = new long[(int) Math.min(LIST_PAGES, total / min)];
        }
        return pages;
    }

    /** Returns the bytes mapped from the call's first address so far. */
    long mapped() {
        return mapped;
    }

    /**
     * Maps the next run, {@code size} bytes from {@code paddr}, at the next device address. The
     * arguments are checked by the caller (aligned, not negative, inside the aperture).
     *
     * @throws RuntimeException the driver's failure (or a contract breach it committed); what
     *     was mapped before it stays counted in {@link #mapped}
     */
    void add(long paddr, long size) {
        if (listPages && size == min) {
            // a single smallest page, a scatterlist's usual segment: iommu_pgsize could pick
            // nothing else for it
            long[] list = pages();
            list[pending++] = paddr;
            if (pending == list.length) {
                flush();
            }
            return;
        }
        long p = paddr;
        long left = size;
        while (left > 0) {
            long at = iova + mapped + pending * min;
            PageRun run = pageSizes.pgsize(at, p, left);
            long n;
            if (listPages && run.pgsize() == min) {
                long[] list = pages();
                n = Math.min(run.pgcount(), list.length - pending) * min;
                for (long b = 0; b < n; b += min) {
                    list[pending++] = p + b;
                }
                if (pending == list.length) {
                    flush();
                }
            } else {
                flush();
                n = mapPages(at, p, run);
                mapped += n;
            }
            p += n;
            left -= n;
        }
    }

    /**
     * Maps {@code count} runs of one smallest page each, run {@code i} from {@code paddrs[i]},
     * at the next device addresses: exactly {@link #add} of each run then {@link #flush} (the
     * same page lists of at most one table's worth, the same driver calls), handing the driver
     * pieces of {@code paddrs} itself instead of a copy. For a mapper made with page lists that
     * holds no collected page; the arguments are checked by the caller.
     *
     * @throws RuntimeException as {@link #add}
     */
    void addSinglePages(long[] paddrs, int count) {
        for (int from = 0; from < count; from += LIST_PAGES) {
            mapList(paddrs, from, Math.min(LIST_PAGES, count - from));
        }
    }

    /** Hands the collected page list to the driver, until every page of it is mapped. */
    void flush() {
        int n = pending;
        pending = 0; // the pages are handed over: mapped, or counted as the failure left them
        mapList(pages, 0, n);
    }

    /** Hands {@code list[from, from + count)} to the driver, until every page of it is mapped. */
    private void mapList(long[] list, int from, int count) {
        int done = 0;
        while (done < count) {
            long at = iova + mapped;
            long n;
            try {
                n = ops.mapPageList(at, min, list, from + done, count - done, prot);
            } catch (MapPagesException e) {
                throw partial(e, "mapPageList reported", at, new PageRun(min, count - done));
            }
            if (!isValidCount(n, min, count - done, false)) {
                throw driverBug("mapPageList returned", n, at, new PageRun(min, count - done));
            }
            mapped += n;
            done += (int) (n / min);
        }
    }

    private long mapPages(long at, long p, PageRun run) {
        long n;
        try {
            n = ops.mapPages(at, p, run.pgsize(), run.pgcount(), prot);
        } catch (MapPagesException e) {
            throw partial(e, "mapPages reported", at, run);
        }
        if (!isValidCount(n, run.pgsize(), run.pgcount(), false)) {
            throw driverBug("mapPages returned", n, at, run);
        }
        return n;
    }

    /** Counts a driver's partial map and returns its reason to throw (or the breach of contract). */
    private RuntimeException partial(MapPagesException e, String what, long at, PageRun run) {
        if (!isValidCount(e.mapped(), run.pgsize(), run.pgcount(), true)) {
            IllegalStateException bug = driverBug(what, e.mapped(), at, run);
            bug.addSuppressed(e);
            return bug;
        }
        mapped += e.mapped();
        return e.reason();
    }

    /** A count the SPI contract allows: a multiple of pgsize, at most the run, zero if allowed. */
    static boolean isValidCount(long bytes, long pgsize, long pgcount, boolean zeroAllowed) {
        return (zeroAllowed ? bytes >= 0 : bytes > 0)
                && bytes / pgsize <= pgcount
                && (bytes & (pgsize - 1)) == 0;
    }

    static IllegalStateException driverBug(String what, long bytes, long iova, PageRun run) {
        return new IllegalStateException(String.format(
                "driver bug: %s bytes=0x%x for iova=0x%x pgsize=0x%x pgcount=%d",
                what, bytes, iova, run.pgsize(), run.pgcount()));
    }
}

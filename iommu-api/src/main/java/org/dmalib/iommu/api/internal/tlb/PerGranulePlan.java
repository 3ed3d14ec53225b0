package org.dmalib.iommu.api.internal.tlb;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * A per-granule plan computed on demand: {@code count} non-range {@code TLBI_NH_VA} commands,
 * one per {@code granule} from {@code iova}, then one {@code CMD_SYNC}. A 1 TiB range at 4 KiB
 * is 2^28 commands; this list holds four numbers instead of that many records.
 *
 * <p>Immutable and thread-safe.
 */
final class PerGranulePlan extends AbstractList<TlbCommand> implements RandomAccess {
    private static final TlbCommand SYNC = new TlbCommand.CmdSync();

    private final int asid;
    private final long iova;
    private final long granule;
    private final boolean leaf;
    private final int count;

    private PerGranulePlan(int asid, long iova, long granule, boolean leaf, int count) {
        this.asid = asid;
        this.iova = iova;
        this.granule = granule;
        this.leaf = leaf;
        this.count = count;
    }

    /**
     * Returns the per-granule plan of {@code request}.
     *
     * @throws IllegalArgumentException if the list would have more than
     *     {@code Integer.MAX_VALUE} elements, naming the size
     */
    static PerGranulePlan of(InvalidationRequest request) {
        long granules = request.granules();
        // one element more for the CMD_SYNC; a List is int-indexed
        if (granules > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException(String.format(
                    "a per-granule plan of size=0x%x granule=0x%x has %d commands, more than a"
                            + " list holds", request.size(), request.granule(), granules));
        }
        return new PerGranulePlan(request.asid(), request.iova(), request.granule(),
                request.leaf(), (int) granules);
    }

    @Override
    public TlbCommand get(int index) {
        if (index == count) {
            return SYNC;
        }
        if (index < 0 || index > count) {
            throw new IndexOutOfBoundsException("index=" + index + " size=" + size());
        }
        return TlbCommand.TlbiNhVa.page(asid, iova + index * granule, leaf);
    }

    @Override
    public int size() {
        return count + 1;
    }
}

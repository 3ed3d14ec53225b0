package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The depot's due reclaim runs on the free path exactly when that free pushed a magazine to the
 * depot: on a same-CPU free and on a free of another CPU's range alike; a free that only fills
 * or swaps magazines leaves even an overdue depot alone.
 */
class DepotReclaimOnFreeTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;
    private static final int MAG = Magazine.IOVA_MAG_SIZE;
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final AtomicLong now = new AtomicLong();

    private long[] allocOnes(IovaDomain d, int cpu, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = d.allocFast(cpu, 1, TOP32, false);
        }
        return p;
    }

    @Test
    void aFreeOfAnotherCpusRangeThatPushesAMagazineRunsTheDueReclaim() {
        IovaDomain d = new IovaDomain(G, 1, TOP32, 2, now::get);
        long[] p = allocOnes(d, 1, 2 * MAG + 3 * MAG + 1);
        // every free is of CPU 1's range on CPU 0: pushes at frees 255, 382 and 509, armed at t=0
        int i = 0;
        for (; i < 2 * MAG + 2 * MAG + 1; i++) {
            d.freeFast(0, p[i], 1);
        }
        assertEquals(3, d.depotSize(0));
        now.set(150 * MS);
        d.freeFast(0, p[i++], 1);
        assertEquals(3, d.depotSize(0), "no push, no reclaim, though one is due");
        for (; i < p.length; i++) {
            d.freeFast(0, p[i], 1);
        }
        // the fourth push found the work overdue: one magazine went back to the tree
        assertEquals(3, d.depotSize(0));
        assertEquals(p.length - MAG, d.tree().allocatedCount());
    }

    @Test
    void aSameCpuFreeThatNeitherPushesNorSwapsRunsNoReclaim() {
        IovaDomain d = new IovaDomain(G, 1, TOP32, 1, now::get);
        long[] p = allocOnes(d, 0, 2 * MAG + MAG + 2);
        int i = 0;
        for (; i < 2 * MAG + MAG + 1; i++) {
            d.freeFast(0, p[i], 1);
        }
        assertEquals(2, d.depotSize(0));
        now.set(150 * MS);
        d.freeFast(0, p[i], 1);
        assertEquals(2, d.depotSize(0), "no push, no reclaim, though one is due");
        assertEquals(1, d.reclaimDepot(), "the due work is still there");
        assertEquals(1, d.depotSize(0));
    }

    @Test
    void aSameCpuFreeThatSwapsInTheEmptyPreviousMagazineRunsNoReclaim() {
        IovaDomain d = new IovaDomain(G, 1, TOP32, 1, now::get);
        long[] p = allocOnes(d, 0, 2 * MAG + MAG + 1);
        for (long pfn : p) {
            d.freeFast(0, pfn, 1);
        }
        // loaded holds 1 range, prev 127, the depot 2 (armed at t=0)
        assertEquals(MAG + 1, d.cachedCount(0, 0));
        assertEquals(2, d.depotSize(0));
        long first = d.allocFast(0, 1, TOP32, false);
        // loaded is empty: prev (full) is swapped in, the mark of `first` goes with the empty one
        long second = d.allocFast(0, 1, TOP32, false);
        d.freeFast(0, second, 1);
        assertEquals(MAG, d.cachedCount(0, 0), "loaded is full again");
        now.set(150 * MS);
        // loaded full, prev empty: the free swaps them and pushes nothing
        d.freeFast(0, first, 1);
        assertEquals(MAG + 1, d.cachedCount(0, 0));
        assertEquals(2, d.depotSize(0), "no push, no reclaim, though one is due");
    }
}

package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The CPU-owned ranges of a mapping, against a bit set doing the same adds and removes. */
class IntervalsTest {

    @Test
    void mergesAdjacentAndOverlappingRangesAndSplitsOnRemove() {
        Intervals set = new Intervals();
        assertTrue(set.isEmpty());
        set.add(10, 20);
        set.add(20, 30);
        set.add(5, 12);
        assertEquals("[[5, 30)]", set.toString());
        assertFalse(set.isEmpty());
        set.remove(15, 18);
        assertEquals("[[5, 15), [18, 30)]", set.toString());
        assertEquals(15, set.firstGap(10, 20));
        assertEquals(-1, set.firstGap(18, 30));
        assertEquals(30, set.firstGap(18, 31));
        assertEquals(0, set.firstGap(0, 6));
        set.remove(0, 100);
        assertTrue(set.isEmpty());
    }

    @Test
    void adjacentRangesMergeAndExactRemovesLeaveNoEmptyPieces() {
        Intervals set = new Intervals();
        set.add(10, 20);
        set.add(20, 30);
        assertEquals("[[10, 30)]", set.toString(), "adjacent on the right");
        set.add(0, 10);
        assertEquals("[[0, 30)]", set.toString(), "adjacent on the left");
        set.add(40, 50);
        assertEquals("[[0, 30), [40, 50)]", set.toString());
        set.remove(0, 10);
        set.remove(20, 30);
        assertEquals("[[10, 20), [40, 50)]", set.toString(), "a remove at a range's ends leaves no empty piece");
        set.remove(40, 50);
        set.remove(10, 20);
        assertTrue(set.isEmpty(), set::toString);
        set.add(5, 15);
        set.remove(15, 20);
        set.remove(0, 5);
        assertEquals("[[5, 15)]", set.toString(), "removes next to a range leave it whole");
    }

    @Test
    void agreesWithABitSetOnRandomOperations() {
        Random rnd = new Random(7);
        Intervals set = new Intervals();
        BitSet bits = new BitSet();
        for (int step = 0; step < 5000; step++) {
            int from = rnd.nextInt(200);
            int to = from + 1 + rnd.nextInt(40);
            if (rnd.nextBoolean()) {
                set.add(from, to);
                bits.set(from, to);
            } else {
                set.remove(from, to);
                bits.clear(from, to);
            }
            int qf = rnd.nextInt(240);
            int qt = qf + 1 + rnd.nextInt(30);
            int gap = bits.nextClearBit(qf);
            assertEquals(gap < qt ? gap : -1, set.firstGap(qf, qt), () -> set + " [" + qf + ", " + qt + ")");
        }
    }
}

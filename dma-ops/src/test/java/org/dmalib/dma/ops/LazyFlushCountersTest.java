package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link LazyFlushCounters#minus}: the counts between two snapshots, each field its own. */
class LazyFlushCountersTest {
    @Test
    void minusSubtractsEveryFieldFromItsOwn() {
        LazyFlushCounters earlier = new LazyFlushCounters(1, 2, 3, 4, 5, 6);
        LazyFlushCounters later = new LazyFlushCounters(11, 22, 33, 44, 55, 66);
        assertEquals(new LazyFlushCounters(10, 20, 30, 40, 50, 60), later.minus(earlier));
        assertEquals(LazyFlushCounters.ZERO, later.minus(later));
    }
}

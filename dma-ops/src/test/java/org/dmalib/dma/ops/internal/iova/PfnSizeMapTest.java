package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The open-addressing map against a plain {@link HashMap} (growth, backward shifts). */
class PfnSizeMapTest {
    @Test
    void agreesWithAHashMapUnderRandomAddsAndRemoves() {
        PfnSizeMap set = new PfnSizeMap();
        Map<Long, Long> model = new HashMap<>();
        Random rnd = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            // a small key space of aligned pfns: long probe runs, many deletions inside them
            long pfn = (1L + rnd.nextInt(3000)) * 32L;
            long size = 1L + rnd.nextInt(3);
            Long had = model.get(pfn);
            if (had == null) {
                assertEquals(0, set.putIfAbsent(pfn, size));
                model.put(pfn, size);
            } else {
                long found = set.removeIfValue(pfn, size);
                assertEquals(had.longValue(), found, "pfn " + pfn);
                if (had == size) {
                    model.remove(pfn);
                }
            }
        }
        assertEquals(model.size(), set.count());
        for (Map.Entry<Long, Long> e : model.entrySet()) {
            assertEquals(e.getValue().longValue(), set.removeIfValue(e.getKey(), e.getValue()));
        }
        assertEquals(0, set.count());
    }

    @Test
    void aPresentKeyIsNeitherReplacedNorRemovedWithAnotherValue() {
        PfnSizeMap set = new PfnSizeMap();
        assertEquals(0, set.putIfAbsent(7, 1));
        assertEquals(1, set.putIfAbsent(7, 2));
        assertEquals(1, set.removeIfValue(7, 2));
        assertEquals(0, set.removeIfValue(8, 1));
        assertEquals(1, set.removeIfValue(7, 1));
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The ASID space: 1 to 2^bits - 1, lowest free first, 0 reserved, only live ASIDs released. */
class AsidAllocatorTest {
    @Test
    void asids_start_at_1_and_the_lowest_free_one_is_reused() {
        AsidAllocator a = new AsidAllocator(4);
        assertEquals(1, a.allocate());
        assertEquals(2, a.allocate());
        assertEquals(3, a.allocate());
        a.release(2);
        assertEquals(2, a.allocate());
        assertEquals(4, a.allocate());
    }

    @Test
    void exhaustion_names_the_range_of_asids() {
        AsidAllocator a = new AsidAllocator(2);
        for (int i = 1; i <= 3; i++) {
            assertEquals(i, a.allocate());
        }
        AsidExhaustedException e = assertThrows(AsidExhaustedException.class, a::allocate);
        assertEquals("all 3 ASIDs (1 to 0x3) are in use", e.getMessage());
    }

    @Test
    void only_an_allocated_asid_can_be_released_and_only_once() {
        AsidAllocator a = new AsidAllocator(4);
        int asid = a.allocate();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.release(5));
        assertTrue(e.getMessage().contains("asid=5"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> a.release(0));
        assertThrows(IllegalStateException.class, () -> a.release(16));
        a.release(asid);
        assertThrows(IllegalStateException.class, () -> a.release(asid));
        assertEquals(asid, a.allocate(), "the refused releases changed nothing");
        assertEquals(2, a.allocate());
    }
}

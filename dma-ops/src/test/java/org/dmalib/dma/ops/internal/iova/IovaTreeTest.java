package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Linux's rbtree policy on small scenarios; every expected pfn is computed by hand from
 * {@code __alloc_and_insert_iova_range} (4 KiB granule: dma_32bit_pfn = 0x100000).
 */
class IovaTreeTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;
    private static final long TOP48 = (1L << 36) - 1;

    @Test
    void aFresh32BitSpaceHandsOutTheHighestAlignedRangeFirst() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        assertEquals(0x100000, t.dma32Pfn());
        assertEquals(0xFFFFF, t.alloc(1, TOP32, true));
        // (0xFFFFF - 2) & ~1: the hole at 0xFFFFE is below no cache point and stays
        assertEquals(0xFFFFC, t.alloc(2, TOP32, true));
        assertEquals(0xFFFFB, t.alloc(1, TOP32, true));
        assertEquals(0xFFFFB, t.cached32Pfn());
        assertEquals(3, t.allocatedCount());
    }

    @Test
    void sizeAlignedRangesAreNaturallyAlignedToTheNextPowerOfTwo() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        assertEquals(0xFFFFC, t.alloc(3, TOP32, true), "3 granules: aligned to 4");
        assertEquals(0xFFFF0, t.alloc(5, TOP32, true), "5 granules: aligned to 8, below 0xFFFFC");
        assertEquals(new IovaRange(0xFFFF0, 0xFFFF4, false), t.find(0xFFFF2));
        IovaTree u = new IovaTree(G, 1, TOP32);
        assertEquals(0xFFFFD, u.alloc(3, TOP32, false), "unaligned: just below the limit");
    }

    @Test
    void aFreeAtOrAboveTheCachePointMovesItUpAndOneBelowLeavesIt() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        assertEquals(0xFFFFF, t.alloc(1, TOP32, true));
        assertEquals(0xFFFFE, t.alloc(1, TOP32, true));
        assertEquals(0xFFFFD, t.alloc(1, TOP32, true));
        assertEquals(0xFFFFC, t.alloc(1, TOP32, true));
        assertEquals(0xFFFFB, t.alloc(1, TOP32, true));
        t.free(0xFFFFD, 1);
        assertEquals(0xFFFFE, t.cached32Pfn(), "rb_next of the freed range");
        t.free(0xFFFFB, 1);
        assertEquals(0xFFFFE, t.cached32Pfn(), "below the cache point: it stays");
        // top-down from the cache point finds the holes in address order, high first
        assertEquals(0xFFFFD, t.alloc(1, TOP32, true));
        assertEquals(0xFFFFB, t.alloc(1, TOP32, true));
        assertEquals(0xFFFFA, t.alloc(1, TOP32, true));
    }

    @Test
    void freeingTheCachedRangeMovesTheCacheToItsSuccessor() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        t.alloc(1, TOP32, true);
        assertEquals(0xFFFFC, t.alloc(2, TOP32, true));
        t.free(0xFFFFC, 2);
        assertEquals(0xFFFFF, t.cached32Pfn());
        assertEquals(0xFFFFE, t.alloc(1, TOP32, true), "the alignment hole is found now");
    }

    @Test
    void theSecondPassSearchesAboveTheCachePointThenFailureSetsMax32() {
        IovaTree t = new IovaTree(G, 1, 15);
        assertEquals(15, t.alloc(1, 15, true));
        assertEquals(8, t.alloc(4, 15, true), "aligned below 15: 12..14 stay free above the cache");
        assertEquals(4, t.alloc(4, 15, true));
        assertEquals(2, t.alloc(2, 15, true));
        assertEquals(1, t.alloc(1, 15, true));
        // below the cache point (1) nothing is left: retry_pfn = 1 < 16, so search [2, 16)
        assertEquals(14, t.alloc(1, 15, true));
        assertEquals(13, t.alloc(1, 15, true));
        assertEquals(12, t.alloc(1, 15, true));
        assertEquals(0, t.tryAlloc(1, 15, true), "both passes fail");
        assertEquals(1, t.max32AllocSize());
        IovaExhaustedException e = assertThrows(IovaExhaustedException.class, () -> t.alloc(1, 15, true));
        assertEquals(1, e.size());
        assertEquals(15, e.limitPfn());
        assertEquals(8, t.allocatedCount(), "a failure hands nothing out");
    }

    @Test
    void max32FastFailSkipsTheSearchUntilAFreeBelow4GiB() {
        IovaTree t = new IovaTree(G, 1, TOP48);
        // nothing of 4 granules fits at or below pfn 3 (pfn 0 is never handed out)
        assertEquals(0, t.tryAlloc(4, 3, true));
        assertEquals(4, t.max32AllocSize());
        // the 32-bit space is wide open, yet 4 granules or more fail fast below 4 GiB
        assertEquals(0, t.tryAlloc(4, TOP32, true));
        assertEquals(0, t.tryAlloc(8, TOP32, true));
        long two = t.alloc(2, TOP32, true);
        assertEquals(0xFFFFE, two);
        assertEquals(TOP48 - 3, t.alloc(4, TOP48, true), "limits above 4 GiB do not fast-fail");
        t.free(TOP48 - 3, 4);
        assertEquals(0, t.tryAlloc(4, TOP32, true), "a free above 4 GiB does not reset it");
        t.free(two, 2);
        assertEquals(0x100000, t.max32AllocSize(), "a free below 4 GiB resets it");
        assertEquals(0xFFFFC, t.alloc(4, TOP32, true));
    }

    @Test
    void limitsAbove4GiBUseTheirOwnCachePoint() {
        IovaTree t = new IovaTree(G, 1, TOP48);
        assertEquals(TOP48, t.alloc(1, Long.MAX_VALUE, true), "limits clamp to the aperture");
        assertEquals(TOP48 - 1, t.alloc(1, TOP48, true));
        assertEquals(TOP48 - 1, t.cachedPfn());
        assertEquals(0xFFFFF, t.alloc(1, TOP32, true), "cached32_node is still the anchor");
        assertEquals(TOP48 - 2, t.alloc(1, TOP48, true));
        t.free(TOP48, 1);
        assertEquals(Long.MAX_VALUE, t.cachedPfn(), "a free above cached_node moves it to rb_next: the anchor");
        assertEquals(TOP48, t.alloc(1, TOP48, true));
    }

    @Test
    void startPfnIsNeverHandedOutBelow() {
        IovaTree t = new IovaTree(G, 1, 2);
        assertEquals(2, t.alloc(1, 2, true));
        assertEquals(1, t.alloc(1, 2, true));
        assertEquals(0, t.tryAlloc(1, 2, true));
        assertThrows(IllegalArgumentException.class, () -> t.alloc(1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> t.alloc(0, 2, true));
        assertThrows(IllegalArgumentException.class, () -> t.alloc(-1, 2, true));
    }

    @Test
    void reservedRangesAreSkippedAndMergedAsLinuxDoes() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        t.reserve(0xF0000, 0xFFFFF);
        assertEquals(0xEFFFF, t.alloc(1, TOP32, true));

        IovaTree u = new IovaTree(G, 1, TOP32);
        u.reserve(10, 20);
        u.reserve(15, 30);
        u.reserve(5, 12);
        assertEquals(List.of(new IovaRange(5, 20, true), new IovaRange(21, 30, true)), u.ranges());
        u.reserve(0, 40);
        assertEquals(List.of(new IovaRange(0, 20, true), new IovaRange(21, 30, true),
                new IovaRange(31, 40, true)), u.ranges());
        assertEquals(0, u.allocatedCount());
        UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> u.free(21, 10));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    }

    @Test
    void reservingOverAnAllocationIsRefusedAndChangesNothing() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        t.reserve(100, 200);
        long a = t.alloc(1, TOP32, true);
        List<IovaRange> before = t.ranges();
        assertThrows(IllegalArgumentException.class, () -> t.reserve(150, a));
        assertEquals(before, t.ranges());
        assertThrows(IllegalArgumentException.class, () -> t.reserve(5, 4));
    }

    @Test
    void freeChecksTheExactRangeAndChangesNothingOnError() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        long a = t.alloc(4, TOP32, true);
        UnknownIovaException wrongSize = assertThrows(UnknownIovaException.class, () -> t.free(a, 2));
        assertEquals(a, wrongSize.pfn());
        assertEquals(2, wrongSize.size());
        assertThrows(UnknownIovaException.class, () -> t.free(a + 1, 3), "inside, not the start");
        assertThrows(UnknownIovaException.class, () -> t.free(5, 1), "never allocated");
        assertEquals(1, t.allocatedCount());
        t.free(a, 4);
        UnknownIovaException twice = assertThrows(UnknownIovaException.class, () -> t.free(a, 4));
        assertTrue(twice.getMessage().contains(String.format("0x%x", a)), twice.getMessage());
        assertNull(t.find(a));
        assertEquals(List.of(), t.ranges());
    }

    @Test
    void constructorChecksItsGeometry() {
        assertThrows(IllegalArgumentException.class, () -> new IovaTree(2048, 1, TOP32));
        assertThrows(IllegalArgumentException.class, () -> new IovaTree(3 * 4096, 1, TOP32));
        assertThrows(IllegalArgumentException.class, () -> new IovaTree(G, 0, TOP32));
        assertThrows(IllegalArgumentException.class, () -> new IovaTree(G, 10, 9));
        assertThrows(IllegalArgumentException.class, () -> new IovaTree(G, 1, 1L << 52));
        IovaTree big = new IovaTree(65536, 1, (1L << 48) - 1);
        assertEquals(1L << 16, big.dma32Pfn());
    }
}

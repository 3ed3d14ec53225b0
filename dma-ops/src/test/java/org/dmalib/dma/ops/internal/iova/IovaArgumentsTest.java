package org.dmalib.dma.ops.internal.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad arguments to the domain and the tree: an {@link IllegalArgumentException} naming the bad
 * value, thrown before anything changed; and the extreme good values are accepted.
 */
class IovaArgumentsTest {
    private static final long G = 4096;
    private static final long TOP32 = 0xFFFFF;
    // the highest granule of a 64-bit space in 4 KiB granules
    private static final long TOP64 = -1L >>> 12;

    private final IovaDomain d = new IovaDomain(G, 1, TOP32, 2, () -> 0L);

    /** Everything observable, to compare before and after a refused call. */
    private List<Object> state() {
        return List.of(d.treeRanges(), d.outstandingCount(), d.cachedCount(0, 0), d.cachedCount(1, 0),
                d.cachedCount(0, 5), d.cachedCount(1, 5), d.depotSize(0));
    }

    /** Runs {@code call}, expects the exception naming {@code named}, and checks nothing changed. */
    private void refused(String named, Executable call) {
        List<Object> before = state();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(named), () -> "message names " + named + ": " + e.getMessage());
        assertEquals(before, state());
    }

    @Test
    void aCpuIndexOutsideTheDomainIsRefusedByEveryCallThatTakesOne() {
        long a = d.allocFast(0, 1, TOP32, true);
        long big = d.allocFast(0, 100, TOP32, true);
        for (int bad : new int[] {-1, 2}) {
            String named = "cpu=" + bad + " must be from 0 to 1";
            refused(named, () -> d.allocFast(bad, 1, TOP32, true));
            refused(named, () -> d.tryAllocFast(bad, 1, TOP32, true));
            refused(named, () -> d.freeFast(bad, a, 1));
            refused(named, () -> d.freeFast(bad, big, 100));
            refused(named, () -> d.flushCpu(bad));
            refused(named, () -> d.cachedCount(bad, 0));
        }
        // the last index is a CPU of the domain
        d.freeFast(1, a, 1);
        assertEquals(1, d.cachedCount(1, 0));
        d.flushCpu(1);
        assertEquals(0, d.cachedCount(1, 0));
        d.freeFast(1, big, 100);
        assertEquals(0, d.outstandingCount());
    }

    @Test
    void aSizeBelowOneGranuleIsRefused() {
        long a = d.allocFast(0, 1, TOP32, true);
        refused("size=0 granules must be at least 1", () -> d.allocFast(0, 0, TOP32, true));
        refused("size=-3 granules must be at least 1", () -> d.tryAllocFast(1, -3, TOP32, true));
        refused("size=0 granules must be at least 1", () -> d.freeFast(0, a, 0));
        refused("size=0 granules must be at least 1", () -> d.tree().alloc(0, TOP32, true));
    }

    @Test
    void aLimitBelowTheFirstGranuleIsRefusedAndTheFirstGranuleItselfIsALimit() {
        IovaDomain low = new IovaDomain(G, 8, TOP32, 1, () -> 0L);
        List<IovaRange> before = low.treeRanges();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> low.allocFast(0, 1, 7, true));
        assertTrue(e.getMessage().contains("limitPfn=0x7 is below startPfn=0x8"), e::getMessage);
        e = assertThrows(IllegalArgumentException.class, () -> low.tree().alloc(1, 7, true));
        assertTrue(e.getMessage().contains("limitPfn=0x7 is below startPfn=0x8"), e::getMessage);
        assertEquals(before, low.treeRanges());
        assertEquals(8, low.allocFast(0, 1, 8, true), "a limit of startPfn leaves one granule");
        assertEquals(9, low.tree().alloc(1, 9, true));
    }

    @Test
    void aFreeOfARangeNeverHandedOutAboveTheCachesSaysItIsNotOutstanding() {
        long a = d.allocFast(0, 100, TOP32, true);
        List<Object> before = state();
        UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> d.freeFast(1, a + 128, 100));
        assertTrue(e.getMessage().contains("not outstanding"), e::getMessage);
        e = assertThrows(UnknownIovaException.class, () -> d.freeFast(1, a, 50));
        assertTrue(e.getMessage().contains("outstanding with 100 granules, not 50"), e::getMessage);
        assertEquals(before, state());
    }

    @Test
    void theDomainTakesOneToMaxCpus() {
        for (int bad : new int[] {0, -1, IovaDomain.MAX_CPUS + 1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new IovaDomain(G, 1, TOP32, bad, () -> 0L));
            assertTrue(e.getMessage().contains("cpus=" + bad + " must be from 1 to " + IovaDomain.MAX_CPUS),
                    e::getMessage);
        }
        assertEquals(1, new IovaDomain(G, 1, TOP32, 1, () -> 0L).cpus());
        IovaDomain most = new IovaDomain(G, 1, TOP32, IovaDomain.MAX_CPUS, () -> 0L);
        long a = most.allocFast(IovaDomain.MAX_CPUS - 1, 1, TOP32, true);
        most.freeFast(IovaDomain.MAX_CPUS - 1, a, 1);
        assertEquals(1, most.cachedCount(IovaDomain.MAX_CPUS - 1, 0));
    }

    @Test
    void theTreeBoundsMustBeOrderedAboveZeroAndInsideTheAddressSpace() {
        String need = "need 1 <= startPfn <= endPfn <= 0xfffffffffffff";
        for (long[] bad : new long[][] {{0, 10}, {11, 10}, {1, TOP64 + 1}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new IovaTree(G, bad[0], bad[1]));
            assertTrue(e.getMessage().contains(String.format("startPfn=0x%x endPfn=0x%x: %s", bad[0], bad[1], need)),
                    e::getMessage);
        }
        IovaTree whole = new IovaTree(G, 1, TOP64);
        assertEquals(TOP64, whole.alloc(1, TOP64, true));
        IovaTree one = new IovaTree(G, 5, 5);
        assertEquals(5, one.alloc(1, 5, true));
    }

    @Test
    void reserveBoundsMustBeOrderedNotNegativeAndInsideTheAddressSpace() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        String need = "need 0 <= pfnLo <= pfnHi <= 0xfffffffffffff";
        for (long[] bad : new long[][] {{-1, 4}, {5, 4}, {1, TOP64 + 1}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.reserve(bad[0], bad[1]));
            assertTrue(e.getMessage().contains(String.format("reserve [0x%x, 0x%x]: %s", bad[0], bad[1], need)),
                    e::getMessage);
            assertEquals(List.of(), t.ranges());
        }
        t.reserve(0, 0);
        t.reserve(7, 7);
        t.reserve(TOP64, TOP64);
        assertEquals(List.of(new IovaRange(0, 0, true), new IovaRange(7, 7, true), new IovaRange(TOP64, TOP64, true)),
                t.ranges());
    }

    @Test
    void theTopSentinelIsNoRangeToFindOrFree() {
        IovaTree t = new IovaTree(G, 1, TOP32);
        long a = t.alloc(4, TOP32, true);
        assertNull(t.find(a + 4), "one past the range");
        assertNull(t.find(Long.MAX_VALUE), "the sentinel");
        UnknownIovaException e = assertThrows(UnknownIovaException.class, () -> t.free(Long.MAX_VALUE, 1));
        assertTrue(e.getMessage().contains("no range starts there"), e::getMessage);
        e = assertThrows(UnknownIovaException.class, () -> t.free(a, 2));
        assertTrue(e.getMessage().contains("the range there has 4 granules"), e::getMessage);
        assertEquals(List.of(new IovaRange(a, a + 3, false)), t.ranges());
    }
}

package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.junit.jupiter.api.Test;

/**
 * The page allocator on a 1 MiB machine (256 pages) with a 64 KiB bounce pool: first fit from
 * the bottom above the pool, reserved regions from the top, exact page counts, typed errors
 * that name the value and take nothing.
 */
class PageAllocatorTest {
    private static final long MEMORY = 1L << 20;
    private static final long POOL = 64 * 1024;
    private static final int PAGE = PageAllocator.PAGE_SIZE;
    // pages above the pool
    private static final int FREE_PAGES = (int) ((MEMORY - POOL) / PAGE);

    private final Machine machine = Machine.create(MachineConfig.of(MEMORY));
    private final PageAllocator memory = PageAllocator.create(machine, POOL);

    @Test
    void thePoolSizeMustBeAWholeNumberOfPagesBelowTheMemorySize() {
        for (long bad : new long[] {-PAGE, 100, MEMORY, MEMORY + PAGE}) {
            DmaUsageException e = assertThrows(DmaUsageException.class, () -> PageAllocator.create(machine, bad));
            assertTrue(e.getMessage().contains("bouncePoolSize=" + bad + " must be a multiple of 4096"
                    + " and smaller than memorySize=" + MEMORY), e::getMessage);
        }
        PageAllocator most = PageAllocator.create(Machine.create(MachineConfig.of(MEMORY)), MEMORY - PAGE);
        assertEquals(MEMORY - PAGE, most.bouncePoolSize());
        assertEquals(PAGE, most.allocate(PAGE).size());
        assertEquals(0, memory.bouncePoolBase());
        assertEquals(POOL, memory.bouncePoolSize());
    }

    @Test
    void buffersAreFirstFitFromTheBottomAboveThePoolInWholePages() {
        CpuBuffer a = memory.allocate(100);
        CpuBuffer b = memory.allocate(PAGE + 1);
        CpuBuffer c = memory.allocate(PAGE);
        assertEquals(POOL, a.paddr());
        assertEquals(POOL + PAGE, b.paddr());
        assertEquals(POOL + 3 * PAGE, c.paddr(), "b took two pages");
        assertEquals(POOL + PAGE + PAGE + 1, b.end());
        assertEquals(4, memory.pagesInUse());
        memory.free(b);
        assertEquals(2, memory.pagesInUse());
        assertEquals(POOL + 4 * PAGE, memory.allocate(3 * PAGE).paddr(), "the hole is too small");
        assertEquals(POOL + PAGE, memory.allocate(2 * PAGE).paddr(), "the hole fits exactly");
        assertEquals(POOL + 8 * PAGE, memory.allocateAbove(POOL + 7 * PAGE + 1, 1).paddr(),
                "the floor is rounded up to a page");
    }

    @Test
    void theLastFreePagesCanBeTakenAndThenNothingMore() {
        CpuBuffer all = memory.allocate(FREE_PAGES * PAGE);
        assertEquals(MEMORY, all.end());
        assertEquals(FREE_PAGES, memory.pagesInUse());
        DmaMappingException e = assertThrows(DmaMappingException.class, () -> memory.allocate(1));
        assertTrue(e.getMessage().contains("no free run of pages=1 for size=1"), e::getMessage);
        memory.free(all);
        assertEquals(0, memory.pagesInUse());
    }

    @Test
    void aFreeOfABufferOfAnotherAllocatorOrTwiceTakesNothingBack() {
        CpuBuffer mine = memory.allocate(PAGE);
        PageAllocator other = PageAllocator.create(Machine.create(MachineConfig.of(MEMORY)), POOL);
        CpuBuffer theirs = other.allocate(PAGE);
        assertEquals(mine.paddr(), theirs.paddr());
        DmaUsageException e = assertThrows(DmaUsageException.class, () -> memory.free(theirs));
        assertTrue(e.getMessage().contains("is not from this allocator"), e::getMessage);
        assertEquals(1, memory.pagesInUse());
        assertEquals(POOL + PAGE, memory.allocate(PAGE).paddr(), "mine is still taken");
        memory.free(mine);
        assertThrows(DmaUsageException.class, () -> memory.free(mine));
        assertEquals(1, memory.pagesInUse());
    }

    @Test
    void allocationsWithinALimitStopAtItsPage() {
        long limit = POOL + 2 * PAGE - 1;
        assertEquals(POOL, memory.allocateWithin(limit, PAGE).paddr());
        assertEquals(POOL + PAGE, memory.allocateWithin(limit, PAGE).paddr(), "the limit's own page");
        assertThrows(DmaMappingException.class, () -> memory.allocateWithin(limit, PAGE));
        assertEquals(POOL + 2 * PAGE, memory.allocateWithin(-1L, PAGE).paddr(), "all ones: no limit");
        assertEquals(POOL + 3 * PAGE, memory.allocateWithin(MEMORY - 1, PAGE).paddr());
    }

    @Test
    void aReservedRegionIsTakenFromTheTopAlignedAndNeverHandedOut() {
        long r = memory.reserveRegion(2 * PAGE, PAGE);
        assertEquals(MEMORY - 2 * PAGE, r);
        long aligned = memory.reserveRegion(PAGE, 4 * PAGE);
        assertEquals(MEMORY - 4 * PAGE, aligned, "the highest free multiple of the alignment");
        assertEquals(3, memory.pagesReserved());
        assertEquals(0, memory.pagesInUse(), "reserved pages are not buffer pages");
        List<CpuBuffer> rest = new ArrayList<>();
        while (true) {
            try {
                rest.add(memory.allocate(PAGE));
            } catch (DmaMappingException full) {
                break;
            }
        }
        assertEquals(FREE_PAGES - 3, rest.size());
        for (CpuBuffer b : rest) {
            assertTrue(b.end() <= aligned || b.paddr() == MEMORY - 3 * PAGE, b::toString);
        }
        assertEquals(FREE_PAGES - 3, memory.pagesInUse());
    }

    @Test
    void aRegionIsAtMostTheMemoryAboveThePool() {
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> memory.reserveRegion((FREE_PAGES + 1L) * PAGE, PAGE));
        assertTrue(e.getMessage().contains("is larger than the memory above the bounce pool"), e::getMessage);
        assertEquals(0, memory.pagesReserved());
        assertEquals(POOL, memory.reserveRegion((long) FREE_PAGES * PAGE, PAGE));
        e = assertThrows(DmaMappingException.class, () -> memory.reserveRegion(PAGE, PAGE));
        assertTrue(e.getMessage().contains("no free run of size=0x1000 aligned to 0x1000"), e::getMessage);
        assertEquals(FREE_PAGES, memory.pagesReserved());
    }

    @Test
    void aRegionsBoundsAreChecked() {
        for (long[] bad : new long[][] {{0, PAGE}, {100, PAGE}, {PAGE, 3000}, {PAGE, 2048}}) {
            assertThrows(DmaUsageException.class, () -> memory.reserveRegion(bad[0], bad[1]));
        }
        assertEquals(0, memory.pagesReserved());
    }

    @Test
    void theMapChecksTellAllocatorMemoryFromTheRest() {
        CpuBuffer below = memory.allocate(PAGE);
        long region = memory.reserveRegion(PAGE, PAGE);
        CpuBuffer justBelowRegion = memory.allocateAbove(region - PAGE, PAGE);
        assertNull(memory.classify(below.paddr(), PAGE));
        assertNull(memory.classify(justBelowRegion.paddr(), PAGE), "the region's page is not this buffer's");
        assertEquals(DebugCheck.MAP_KERNEL_TEXT_OR_RODATA, memory.classify(justBelowRegion.paddr(), PAGE + 1));
        assertEquals(DebugCheck.MAP_INVALID_AREA, memory.classify(POOL - 1, 1));
        CpuBuffer coherent = memory.allocate(PAGE);
        assertEquals(below.end(), coherent.paddr());
        memory.setCoherent(coherent, true);
        assertEquals(DebugCheck.MAP_VMALLOC_AREA, memory.classify(coherent.paddr(), 1));
        assertNull(memory.classify(below.paddr(), PAGE), "the page before the coherent one");
        memory.setCoherent(coherent, false);
        assertNull(memory.classify(coherent.paddr(), PAGE));
    }
}

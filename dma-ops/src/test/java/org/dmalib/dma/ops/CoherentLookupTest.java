package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/**
 * A coherent allocation as the device's by-address calls find it: a sync inside it is accepted
 * (and does nothing), one outside it is of no live mapping, a list sync counts it as one entry,
 * and an unmap of it is the wrong function, reported with where it was allocated; a free with a
 * negative size is a usage error that changes nothing.
 */
class CoherentLookupTest {
    private static final DmaDirection BIDI = DmaDirection.BIDIRECTIONAL;
    private static final int SIZE = 4096;

    private final Rig r = new Rig(Coherency.NON_COHERENT);
    private final CoherentBuffer ring = r.dev.allocCoherent(r.cpu, SIZE);

    @Test
    void aSyncOfItsFirstOrLastByteIsAcceptedAndDoesNothing() {
        long dma = ring.dmaAddress();
        r.dev.syncSingleForCpu(r.cpu, dma, 1, BIDI);
        r.dev.syncSingleForDevice(r.cpu, dma + SIZE - 1, 1, BIDI);
        r.dev.syncSingleForCpu(r.cpu, dma, SIZE, BIDI);
        assertEquals(0, r.dev.debugReportCount());
    }

    @Test
    void aSyncJustOutsideItIsOfNoLiveMapping() {
        long dma = ring.dmaAddress();
        // a wider mapping elsewhere: lookups then look further back than the allocation reaches
        CpuBuffer spacer = r.memory.allocate(SIZE);
        assertEquals(dma + SIZE, spacer.paddr());
        DmaMapping wide = r.dev.mapSingle(r.cpu, r.memory.allocate(4 * SIZE), BIDI);
        for (long outside : new long[] {dma - 1, dma + SIZE}) {
            DmaDebugException e = assertThrows(DmaDebugException.class,
                    () -> r.dev.syncSingleForCpu(r.cpu, outside, 1, BIDI));
            assertEquals(DebugCheck.SYNC_NOT_ALLOCATED, e.check());
            assertTrue(e.report().message().startsWith("device driver tries to sync DMA memory it has not allocated "),
                    e::getMessage);
            assertTrue(e.report().message().contains(String.format("dmaAddress=0x%x is in no live mapping", outside)),
                    e::getMessage);
        }
        wide.unmap(r.cpu);
    }

    @Test
    void aListSyncCountsItAsOneEntry() {
        r.dev.syncSgForCpu(r.cpu, ring.dmaAddress(), 1, BIDI);
        assertEquals(0, r.dev.debugReportCount());
        DmaDebugException e = assertThrows(DmaDebugException.class,
                () -> r.dev.syncSgForDevice(r.cpu, ring.dmaAddress(), 2, BIDI));
        assertEquals(DebugCheck.SYNC_SG_DIFFERENT_ENTRY_COUNT, e.check());
        assertTrue(e.report().message().contains("[map count=1] [sync count=2]"), e::getMessage);
    }

    @Test
    void anUnmapOfItNamesItsKindAndWhereItWasAllocated() {
        DmaDebugException e = assertThrows(DmaDebugException.class,
                () -> r.dev.unmapSingle(r.cpu, ring.dmaAddress(), SIZE, BIDI));
        assertEquals(DebugCheck.FREE_WRONG_FUNCTION, e.check());
        assertTrue(e.report().message().startsWith("device driver frees DMA memory with wrong function "),
                e::getMessage);
        DmaDebugReport report = e.report();
        assertTrue(report.message().contains("[mapped as COHERENT] [unmapped as SINGLE]"), report::message);
        assertEquals(CoherentLookupTest.class.getName(), report.mappedAt().get(0).getClassName(),
                () -> "allocated in this test's constructor: " + report.mappedAt());
        assertEquals(ring.describe(), report.mapping().orElseThrow());
        assertTrue(e.getMessage().contains("\n  mapping: " + ring.describe()), e::getMessage);
        assertTrue(e.getMessage().contains("\n  mapped at:\n    " + report.mappedAt().get(0)), e::getMessage);
        r.dev.freeCoherent(SIZE, ring.cpuAddress(), ring.dmaAddress());
    }

    @Test
    void aNegativeFreeSizeIsRefusedNamingItInEveryModeAndChangesNothing() {
        for (DebugMode mode : DebugMode.values()) {
            Rig m = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, mode);
            CoherentBuffer b = m.dev.allocCoherent(m.cpu, SIZE);
            DmaUsageException e = assertThrows(DmaUsageException.class,
                    () -> m.dev.freeCoherent(-SIZE, b.cpuAddress(), b.dmaAddress()), mode::toString);
            assertTrue(e.getMessage().contains("size=-" + SIZE + " must not be negative"), e::getMessage);
            assertEquals(0, m.dev.debugReportCount(), () -> mode + ": no size-mismatch report");
            assertFalse(b.isFreed(), mode::toString);
            assertEquals(1, m.dev.pendingMappings().size(), mode::toString);
            m.dev.freeCoherent(SIZE, b.cpuAddress(), b.dmaAddress());
            assertTrue(b.isFreed(), mode::toString);
            assertTrue(m.dev.pendingMappings().isEmpty(), mode::toString);
            assertEquals(0, m.dev.debugReportCount(), () -> mode + ": the right free is clean");
        }
    }

    @Test
    void theLargestCoherentSizeIsNoUsageErrorButFindsNoMemoryOnASmallMachine() {
        int largest = Integer.MAX_VALUE & -PageAllocator.PAGE_SIZE;
        assertThrows(DmaMappingException.class, () -> r.dev.allocCoherent(r.cpu, largest));
        DmaUsageException e = assertThrows(DmaUsageException.class, () -> r.dev.allocCoherent(r.cpu, largest + 1));
        assertTrue(e.getMessage().contains("size=" + (largest + 1) + " must be at most " + largest), e::getMessage);
    }
}

package org.dmalib.iommu.api.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver that fails part-way through an unmap: {@code unmap} still syncs what the driver
 * unmapped and gathered before it threw ({@code iommu_unmap} syncs its gather whatever
 * {@code __iommu_unmap} did), and the driver's exception is the one the caller sees.
 */
class CoreDomainUnmapFailureTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_2M = 1L << 21;
    private static final long SZ_1G = 1L << 30;
    private static final PageSizes LPAE_4K = PageSizes.of(SZ_4K, SZ_2M, SZ_1G);
    private static final int IAS = 48;
    // two pages just below 2 MiB, then a 2 MiB block: the core's loop unmaps them in two chunks
    private static final long PAGES_IOVA = SZ_2M - 2 * SZ_4K;
    private static final long BLOCK_IOVA = SZ_2M;
    private static final long SPAN = 2 * SZ_4K + SZ_2M;

    /** The gathered range an {@code iotlbSync} call was given. */
    record Synced(long start, long end, long pgsize) {}

    /** A driver fault the double throws, told apart from anything the core throws. */
    static final class DriverFault extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DriverFault(String message) {
            super(message);
        }
    }

    private final FakePageTable table = new FakePageTable(SZ_4K, InvalidationStrategy.LINUX, true);
    private final List<Synced> synced = new ArrayList<>();
    private final List<Long> unmapCalls = new ArrayList<>();

    @TempDir
    Path dir;

    /**
     * The fake's ops, recording every sync's range and every unmapPages iova; the unmapPages
     * call at {@code failAt} throws {@code fault} before it changes anything, and every sync
     * throws {@code syncFault} (after invalidating) if that is not null.
     */
    private class FailingOps extends DelegatingDomainOps {
        private final long failAt;
        private final RuntimeException fault;
        private final RuntimeException syncFault;

        FailingOps(long failAt, RuntimeException fault, RuntimeException syncFault) {
            super(CoreDomainUnmapFailureTest.this.table); // not DelegatingDomainOps.table, unset yet
            this.failAt = failAt;
            this.fault = fault;
            this.syncFault = syncFault;
        }

        @Override
        public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
            unmapCalls.add(iova);
            if (iova == failAt) {
                throw fault;
            }
            return super.unmapPages(iova, pgsize, pgcount, gather);
        }

        @Override
        public void iotlbSync(IotlbGather gather) {
            synced.add(new Synced(gather.start(), gather.end(), gather.pgsize()));
            super.iotlbSync(gather);
            if (syncFault != null) {
                throw syncFault;
            }
        }
    }

    private GatheringDomain domainOver(IommuDomainOps ops) {
        GatheringDomain d = IommuDomains.create(ops, LPAE_4K, DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, IAS);
        d.map(PAGES_IOVA, 0x10_0000, 2 * SZ_4K, IommuProt.READ_WRITE);
        d.map(BLOCK_IOVA, SZ_1G, SZ_2M, IommuProt.READ_WRITE); // aligned: one 2 MiB block
        for (long va = PAGES_IOVA; va < PAGES_IOVA + SPAN; va += SZ_4K) {
            table.touch(va); // the device has used every translation: all cached
        }
        return d;
    }

    @Test
    void a_driver_failing_on_the_second_chunk_has_the_first_synced_and_its_exception_thrown() {
        DriverFault fault = new DriverFault("walk fault at iova=0x200000");
        GatheringDomain d = domainOver(new FailingOps(BLOCK_IOVA, fault, null));
        DriverFault thrown = assertThrows(DriverFault.class, () -> d.unmap(PAGES_IOVA, SPAN));
        assertSame(fault, thrown);
        assertEquals(0, thrown.getSuppressed().length);
        assertEquals(List.of(PAGES_IOVA, BLOCK_IOVA), unmapCalls, "two chunks: pages, then block");
        // the sync got exactly the first chunk, and the IOTLB forgot its two pages
        assertEquals(List.of(new Synced(PAGES_IOVA, BLOCK_IOVA - 1, SZ_4K)), synced);
        assertEquals(List.of(), table.cachedIn(PAGES_IOVA, 2 * SZ_4K));
        assertEquals(OptionalLong.empty(), d.iovaToPhys(PAGES_IOVA));
        // the block the driver failed on is still mapped, and its translation still cached
        assertEquals(OptionalLong.of(SZ_1G), d.iovaToPhys(BLOCK_IOVA));
        assertEquals(1, table.cachedIn(BLOCK_IOVA, SZ_2M).size());
    }

    @Test
    void a_failing_sync_after_a_driver_failure_is_suppressed_by_the_driver_exception() {
        DriverFault fault = new DriverFault("walk fault");
        DriverFault syncFault = new DriverFault("sync timeout");
        GatheringDomain d = domainOver(new FailingOps(BLOCK_IOVA, fault, syncFault));
        DriverFault thrown = assertThrows(DriverFault.class, () -> d.unmap(PAGES_IOVA, SPAN));
        assertSame(fault, thrown);
        assertArrayEquals(new Throwable[] {syncFault}, thrown.getSuppressed());
        assertEquals(List.of(new Synced(PAGES_IOVA, BLOCK_IOVA - 1, SZ_4K)), synced);
    }

    @Test
    void a_driver_failing_on_the_first_chunk_gathered_nothing_and_nothing_is_synced() {
        DriverFault fault = new DriverFault("walk fault");
        GatheringDomain d = domainOver(new FailingOps(PAGES_IOVA, fault, null));
        assertSame(fault, assertThrows(DriverFault.class, () -> d.unmap(PAGES_IOVA, SPAN)));
        assertEquals(List.of(), synced);
        assertEquals(0, table.syncCalls);
        assertEquals(OptionalLong.of(0x10_0000L), d.iovaToPhys(PAGES_IOVA));
    }

    @Test
    void refusals_before_anything_is_unmapped_sync_nothing() {
        FailingOps ops = new FailingOps(-1, null, null) {
            @Override
            public void checkUnmap(long iova, long size) {
                if (iova + size > BLOCK_IOVA && iova + size < BLOCK_IOVA + SZ_2M) {
                    throw new PartialUnmapException(iova, size, BLOCK_IOVA, SZ_2M);
                }
            }
        };
        GatheringDomain d = domainOver(ops);
        long beyond = d.apertureEnd() + 1;
        assertThrows(OutOfRangeException.class, () -> d.unmap(-SZ_4K, SZ_4K));
        assertThrows(OutOfRangeException.class, () -> d.unmap(PAGES_IOVA, -SZ_4K));
        assertThrows(UnalignedException.class, () -> d.unmap(PAGES_IOVA, 0x800));
        assertThrows(OutOfRangeException.class, () -> d.unmap(beyond - SZ_4K, 2 * SZ_4K));
        assertThrows(PartialUnmapException.class, () -> d.unmap(PAGES_IOVA, 3 * SZ_4K));
        assertEquals(List.of(), unmapCalls);
        assertEquals(List.of(), synced);
        assertEquals(0, table.invalidationActivity());
        assertEquals(2 * SZ_4K + SZ_2M, table.cachedIn(PAGES_IOVA, SPAN).stream()
                .mapToLong(FakePageTable.Leaf::size).sum(), "every translation still cached");
    }

    @Test
    void unmap_fast_leaves_what_was_unmapped_before_the_failure_in_the_gather() {
        DriverFault fault = new DriverFault("walk fault");
        GatheringDomain d = domainOver(new FailingOps(BLOCK_IOVA, fault, null));
        IotlbGather gather = new IotlbGather();
        assertSame(fault, assertThrows(DriverFault.class,
                () -> d.unmapFast(PAGES_IOVA, SPAN, gather)));
        assertEquals(List.of(), synced, "unmapFast never syncs: the gather is the caller's");
        assertEquals(PAGES_IOVA, gather.start());
        assertEquals(BLOCK_IOVA - 1, gather.end());
        assertEquals(SZ_4K, gather.pgsize());
        d.iotlbSync(gather);
        assertEquals(List.of(), table.cachedIn(PAGES_IOVA, 2 * SZ_4K));
        assertTrue(gather.isEmpty());
    }

    @Test
    void an_unmap_that_throws_is_recorded_as_minus_one_bytes_also_when_its_sync_throws()
            throws IOException {
        DriverFault syncFault = new DriverFault("sync timeout");
        GatheringDomain failing = domainOver(new FailingOps(BLOCK_IOVA, new DriverFault("walk"),
                null));
        GatheringDomain syncFailing = IommuDomains.create(new FailingOps(-1, null, syncFault),
                LPAE_4K, DomainType.UNMANAGED, InvalidationStrategy.LINUX, IAS);
        Path file = dir.resolve("unmap.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("org.dmalib.Unmap");
            recording.start();
            assertThrows(DriverFault.class, () -> failing.unmap(PAGES_IOVA, SPAN));
            // the driver unmaps all 2 MiB and the sync throws: the call threw
            assertSame(syncFault, assertThrows(DriverFault.class,
                    () -> syncFailing.unmap(BLOCK_IOVA, SZ_2M)));
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertEquals(2, events.size());
        for (RecordedEvent e : events) {
            assertEquals(-1, e.getLong("unmapped"), e.toString());
            assertTrue(e.getBoolean("synced"), e.toString());
        }
        assertFalse(table.leaves.containsKey(BLOCK_IOVA), "the second unmap did unmap the block");
    }
}

package org.dmalib.iommu.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidProtException;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CoreDomainTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_2M = 1L << 21;
    private static final long SZ_1G = 1L << 30;
    private static final PageSizes LPAE_4K = PageSizes.of(SZ_4K, SZ_2M, SZ_1G);
    private static final int IAS = 48;

    private final FakePageTable table = new FakePageTable(SZ_4K, InvalidationStrategy.LINUX, true);
    private final GatheringDomain domain = IommuDomains.create(
            table, LPAE_4K, DomainType.UNMANAGED, InvalidationStrategy.LINUX, IAS);

    @Test
    void map_splits_with_iommu_pgsize_and_issues_no_invalidation() {
        domain.map(0x1FF000, 0x1FF000, 0x401000, IommuProt.READ_WRITE);
        assertEquals(List.of(new FakePageTable.MapCall(0x1FF000, 0x1FF000, SZ_4K, 1),
                        new FakePageTable.MapCall(0x200000, 0x200000, SZ_2M, 2)),
                table.mapCalls);
        assertEquals(0, table.invalidationActivity());
        assertEquals(OptionalLong.of(0x3ABCDEL), domain.iovaToPhys(0x3ABCDE));
    }

    @Test
    void map_calls_again_when_the_driver_maps_fewer_pages() {
        // 600 pages from 0x100000: the fake stops at the 2 MiB table boundary after 256
        domain.map(0x100000, 0x40000000, 600 * SZ_4K, IommuProt.READ);
        assertEquals(List.of(new FakePageTable.MapCall(0x100000, 0x40000000, SZ_4K, 600),
                        new FakePageTable.MapCall(SZ_2M, 0x40100000, SZ_4K, 344)),
                table.mapCalls);
        assertEquals(600, table.leaves.size());
        assertEquals(OptionalLong.of(0x40000000L + 599 * SZ_4K),
                domain.iovaToPhys(0x100000 + 599 * SZ_4K));
        assertEquals(0, table.invalidationActivity());
    }

    @Test
    void unaligned_map_is_refused_naming_the_values_and_maps_nothing() {
        UnalignedException e = assertThrows(UnalignedException.class,
                () -> domain.map(0x1000, 0x2800, 0x1000, IommuProt.READ));
        assertTrue(e.getMessage().contains("paddr=0x2800"), e.getMessage());
        assertTrue(e.getMessage().contains("minPageSize=0x1000"), e.getMessage());
        assertThrows(UnalignedException.class, () -> domain.map(0x1000, 0x2000, 0x100, IommuProt.READ));
        assertTrue(table.mapCalls.isEmpty());
        assertTrue(table.leaves.isEmpty());
    }

    @Test
    void out_of_range_and_bad_prot_are_refused_and_map_nothing() {
        long end = domain.apertureEnd();
        assertEquals((1L << IAS) - 1, end);
        assertEquals(0, domain.apertureStart());
        OutOfRangeException e = assertThrows(OutOfRangeException.class,
                () -> domain.map(end + 1 - SZ_4K, 0, 2 * SZ_4K, IommuProt.READ));
        assertTrue(e.getMessage().contains("apertureEnd=0x" + Long.toHexString(end)), e.getMessage());
        assertThrows(OutOfRangeException.class, () -> domain.map(-SZ_4K, 0, SZ_4K, IommuProt.READ));
        assertThrows(OutOfRangeException.class, () -> domain.map(0, 0, -SZ_4K, IommuProt.READ));
        InvalidProtException p = assertThrows(InvalidProtException.class,
                () -> domain.map(0, 0, SZ_4K, IommuProt.CACHE));
        assertTrue(p.getMessage().contains("prot=0x4"), p.getMessage());
        assertThrows(OutOfRangeException.class, () -> domain.unmap(end + 1, SZ_4K));
        assertThrows(UnalignedException.class, () -> domain.unmap(0x800, SZ_4K));
        assertThrows(OutOfRangeException.class, () -> domain.iovaToPhys(end + 1));
        assertTrue(table.mapCalls.isEmpty());
        assertTrue(table.leaves.isEmpty());
        domain.map(0, 0, 0, IommuProt.READ);
        assertTrue(table.mapCalls.isEmpty());
    }

    @Test
    void a_mid_way_failure_undoes_this_call_and_keeps_earlier_mappings() {
        domain.map(0x10000, 0x90000, SZ_4K, IommuProt.READ);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> domain.map(0x8000, 0x8000, 16 * SZ_4K, IommuProt.WRITE));
        assertTrue(e.getMessage().contains("iova=0x10000"), e.getMessage());
        assertEquals(1, table.leaves.size());
        assertEquals(OptionalLong.of(0x90000), domain.iovaToPhys(0x10000));
    }

    @Test
    void a_failure_reported_with_mapped_bytes_is_undone_and_its_reason_rethrown() {
        table.failAtIova = 0x5000;
        FakePageTable.NoMemory e = assertThrows(FakePageTable.NoMemory.class,
                () -> domain.map(0x1000, 0x1000, 8 * SZ_4K, IommuProt.READ));
        assertTrue(e.getMessage().contains("iova=0x5000"), e.getMessage());
        assertTrue(table.leaves.isEmpty());
        assertEquals(OptionalLong.empty(), domain.iovaToPhys(0x1000));
    }

    @Test
    void unmap_returns_bytes_and_stops_at_a_hole() {
        domain.map(0, 0x100000, 4 * SZ_4K, IommuProt.READ);
        domain.map(5 * SZ_4K, 0x200000, 2 * SZ_4K, IommuProt.READ);
        assertEquals(4 * SZ_4K, domain.unmap(0, 8 * SZ_4K));
        assertEquals(2, table.leaves.size());
        assertEquals(0, domain.unmap(0, SZ_4K));
        assertEquals(2 * SZ_4K, domain.unmap(5 * SZ_4K, 2 * SZ_4K));
        assertTrue(table.leaves.isEmpty());
    }

    @Test
    void unmap_refuses_to_subdivide_a_block() {
        domain.map(SZ_2M, SZ_1G, SZ_2M, IommuProt.READ_WRITE);
        assertEquals(1, table.leaves.size());
        assertEquals(0, domain.unmap(SZ_2M, SZ_4K));
        assertEquals(0, domain.unmap(SZ_2M + SZ_4K, SZ_4K));
        assertEquals(1, table.leaves.size());
        assertEquals(OptionalLong.of(SZ_1G + 0x1234), domain.iovaToPhys(SZ_2M + 0x1234));
        assertEquals(SZ_2M, domain.unmap(SZ_2M, SZ_2M));
        assertTrue(table.leaves.isEmpty());
    }

    @Test
    void unmapping_a_table_of_pages_by_its_block_size_flushes_the_walk() {
        domain.map(0, 0x1000, SZ_2M, IommuProt.READ); // paddr misaligned for 2M: 512 pages
        assertEquals(512, table.leaves.size());
        assertEquals(SZ_2M, domain.unmap(0, SZ_2M));
        assertEquals(1, table.flushWalkCalls);
        assertTrue(table.leaves.isEmpty());
    }

    @Test
    void unmap_fast_gathers_and_one_sync_invalidates() {
        domain.map(0, 0, 8 * SZ_4K, IommuProt.READ);
        IotlbGather gather = new IotlbGather();
        assertEquals(4 * SZ_4K, domain.unmapFast(0, 4 * SZ_4K, gather));
        assertEquals(4 * SZ_4K, domain.unmapFast(4 * SZ_4K, 4 * SZ_4K, gather));
        assertEquals(0, table.syncCalls);
        assertEquals(8 * SZ_4K, gather.size());
        domain.iotlbSync(gather);
        assertEquals(1, table.syncCalls);
        assertTrue(gather.isEmpty());
        // one range command covering 8 pages, then the sync
        assertEquals(2, table.commands.size());
        assertTrue(table.commands.get(1) instanceof TlbCommand.CmdSync);
    }

    @Test
    void a_queued_gather_defers_all_leaf_invalidation() {
        domain.map(0, 0, 8 * SZ_4K, IommuProt.READ);
        IotlbGather gather = new IotlbGather();
        gather.setQueued(true);
        assertEquals(8 * SZ_4K, domain.unmapFast(0, 8 * SZ_4K, gather));
        assertEquals(0, table.addPageCalls);
        assertTrue(gather.isEmpty());
        domain.flushIotlbAll();
        assertEquals(1, table.flushAllCalls);
    }

    @ParameterizedTest
    @EnumSource(InvalidationStrategy.class)
    void after_unmap_no_stale_iotlb_entry_survives(InvalidationStrategy strategy) {
        Random rnd = new Random(strategy.name().hashCode());
        for (boolean ril : new boolean[] {true, false}) {
            for (int round = 0; round < 40; round++) {
                FakePageTable t = new FakePageTable(SZ_4K, strategy, ril);
                IommuDomain d = IommuDomains.create(t, LPAE_4K, DomainType.DMA, strategy, IAS);
                // a mix of 4K pages and 2M blocks, some mappings outside the unmapped range
                long base = SZ_2M * (1 + rnd.nextInt(8));
                long pages = 1L + rnd.nextInt(1100);
                long paddr = rnd.nextBoolean() ? base : base + SZ_4K * rnd.nextInt(4);
                d.map(base, paddr, pages * SZ_4K, IommuProt.READ_WRITE);
                d.map(0, 0, SZ_4K, IommuProt.READ);
                for (long va = 0; va < base + pages * SZ_4K; va += SZ_4K) {
                    t.touch(va);
                }
                int before = t.invalidationActivity();
                assertEquals(pages * SZ_4K, d.unmap(base, pages * SZ_4K));
                assertTrue(t.invalidationActivity() > before);
                assertEquals(List.of(), t.cachedIn(base, pages * SZ_4K),
                        strategy + " ril=" + ril + " pages=" + pages);
                assertFalse(t.leaves.isEmpty());
            }
        }
    }

    @Test
    void a_driver_breaking_the_count_contract_is_reported_and_its_map_undone() {
        IommuDomainOps liar = new DelegatingDomainOps(table) {
            @Override
            public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
                return table.mapPages(iova, paddr, pgsize, 1, prot) + 1; // not a multiple of pgsize
            }
        };
        IommuDomain d = IommuDomains.create(liar, LPAE_4K, DomainType.DMA, InvalidationStrategy.LINUX, IAS);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> d.map(0, 0, 4 * SZ_4K, IommuProt.READ));
        assertTrue(e.getMessage().contains("bytes=0x1001"), e.getMessage());
        // nothing was counted as mapped by the bad call, so the fake keeps its one page: the
        // core cannot undo what a lying driver does not report
        assertEquals(1, table.leaves.size());
    }

    @Test
    void a_partial_block_unmap_is_refused_before_anything_is_unmapped() {
        domain.map(0, 0, SZ_4K, IommuProt.READ);
        domain.map(SZ_2M, SZ_2M, SZ_2M, IommuProt.READ); // one 2 MiB block
        IommuDomainOps refusing = new DelegatingDomainOps(table) {
            @Override
            public void checkUnmap(long iova, long size) {
                if (iova + size > SZ_2M && iova + size < 2 * SZ_2M) {
                    throw new PartialUnmapException(iova, size, SZ_2M, SZ_2M);
                }
            }
        };
        IommuDomain d = IommuDomains.create(refusing, LPAE_4K, DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, IAS);
        PartialUnmapException e = assertThrows(PartialUnmapException.class,
                () -> d.unmap(0, SZ_2M + SZ_4K));
        assertTrue(e.getMessage().contains("block iova=0x200000"), e.getMessage());
        assertEquals(SZ_2M, e.blockIova());
        assertEquals(SZ_2M, e.blockSize());
        assertEquals(OptionalLong.of(0), domain.iovaToPhys(0)); // the 4 KiB page before it survived
        assertEquals(OptionalLong.of(SZ_2M), domain.iovaToPhys(SZ_2M));
        assertEquals(0, table.invalidationActivity());
    }

    @Test
    void the_factory_validates_and_reports_the_domain() {
        assertSame(DomainType.UNMANAGED, domain.type());
        assertSame(InvalidationStrategy.LINUX, domain.strategy());
        assertEquals(LPAE_4K, domain.pageSizes());
        assertThrows(IllegalArgumentException.class, () -> IommuDomains.create(
                table, LPAE_4K, DomainType.DMA, InvalidationStrategy.OPTIMAL, 11));
        assertThrows(IllegalArgumentException.class, () -> IommuDomains.create(
                table, LPAE_4K, DomainType.DMA, InvalidationStrategy.OPTIMAL, 64));
        assertEquals(Long.MAX_VALUE, IommuDomains.create(
                table, LPAE_4K, DomainType.DMA, InvalidationStrategy.OPTIMAL, 63).apertureEnd());
        assertThrows(NullPointerException.class, () -> IommuDomains.create(
                null, LPAE_4K, DomainType.DMA, InvalidationStrategy.OPTIMAL, 48));
    }

    @Test
    void the_first_and_last_pages_of_the_aperture_map_translate_and_unmap() {
        long last = domain.apertureEnd() + 1 - SZ_4K;
        domain.map(0, 0, SZ_4K, IommuProt.READ);
        domain.map(last, 0x5000, SZ_4K, IommuProt.READ);
        assertEquals(OptionalLong.of(0x123L), domain.iovaToPhys(0x123));
        assertEquals(OptionalLong.of(0x5FFFL), domain.iovaToPhys(domain.apertureEnd()));
        assertEquals(SZ_4K, domain.unmap(last, SZ_4K));
        assertEquals(SZ_4K, domain.unmap(0, SZ_4K));
        assertEquals(OptionalLong.empty(), domain.iovaToPhys(domain.apertureEnd()));
        assertEquals(OptionalLong.empty(), domain.iovaToPhys(0));
        assertThrows(OutOfRangeException.class, () -> domain.iovaToPhys(-1));
    }

    @ParameterizedTest
    @EnumSource(InvalidationStrategy.class)
    void the_top_pages_of_a_63_bit_domain_unmap_and_leave_no_stale_entry(InvalidationStrategy strategy) {
        for (boolean ril : new boolean[] {true, false}) {
            FakePageTable t = new FakePageTable(SZ_4K, strategy, ril);
            IommuDomain wide = IommuDomains.create(t, LPAE_4K, DomainType.UNMANAGED, strategy, 63);
            long topPage = wide.apertureEnd() - SZ_4K + 1; // its last byte is Long.MAX_VALUE
            long topBlock = wide.apertureEnd() - SZ_2M + 1;
            wide.map(topBlock - 2 * SZ_4K, 0x10_0000, 2 * SZ_4K, IommuProt.READ);
            wide.map(topBlock, SZ_1G, SZ_2M, IommuProt.READ); // one 2 MiB block, up to 2^63
            wide.map(0, 0, SZ_4K, IommuProt.READ);
            t.touch(topBlock - 2 * SZ_4K);
            t.touch(topBlock - SZ_4K);
            t.touch(Long.MAX_VALUE);
            t.touch(0);
            assertEquals(OptionalLong.of(SZ_1G + SZ_2M - 1), wide.iovaToPhys(Long.MAX_VALUE));
            assertEquals(2 * SZ_4K + SZ_2M, wide.unmap(topBlock - 2 * SZ_4K, 2 * SZ_4K + SZ_2M));
            String what = strategy + " ril=" + ril;
            assertEquals(List.of(), t.cachedIn(topBlock - 2 * SZ_4K, 2 * SZ_4K + SZ_2M), what);
            assertEquals(1, t.cachedIn(0, SZ_4K).size(), what);
            assertEquals(OptionalLong.empty(), wide.iovaToPhys(topPage));
            // a 4 KiB page mapped at the very top, and one page past it refused
            wide.map(topPage, 0x5000, SZ_4K, IommuProt.READ);
            t.touch(topPage);
            assertEquals(SZ_4K, wide.unmap(topPage, SZ_4K));
            assertEquals(List.of(), t.cachedIn(topPage, SZ_4K), what);
            assertThrows(OutOfRangeException.class, () -> wide.unmap(topPage, 2 * SZ_4K));
        }
    }

    @Test
    void a_map_whose_physical_range_wraps_is_refused_naming_it_and_maps_nothing() {
        long top = Long.MAX_VALUE & -SZ_4K; // the last physical page a long can address
        OutOfRangeException e = assertThrows(OutOfRangeException.class,
                () -> domain.map(0, top, 2 * SZ_4K, IommuProt.READ));
        assertTrue(e.getMessage().contains("paddr=0x7ffffffffffff000"), e.getMessage());
        assertTrue(table.mapCalls.isEmpty());
        assertEquals(OptionalLong.empty(), domain.iovaToPhys(0));
    }

    @Test
    void a_negative_unmap_is_refused_naming_it_and_unmaps_nothing() {
        domain.map(0, 0, SZ_4K, IommuProt.READ);
        OutOfRangeException e = assertThrows(OutOfRangeException.class, () -> domain.unmap(0, -SZ_4K));
        assertTrue(e.getMessage().contains("size=0xfffffffffffff000"), e.getMessage());
        e = assertThrows(OutOfRangeException.class, () -> domain.unmap(-SZ_4K, SZ_4K));
        assertTrue(e.getMessage().contains("iova=0xfffffffffffff000"), e.getMessage());
        assertEquals(1, table.leaves.size());
        assertEquals(0, table.invalidationActivity());
    }

    @Test
    void an_unaligned_unmap_size_is_refused_before_any_page_is_unmapped() {
        domain.map(SZ_4K, 0x10000, 2 * SZ_4K, IommuProt.READ);
        UnalignedException e = assertThrows(UnalignedException.class,
                () -> domain.unmap(SZ_4K, 0x1800));
        assertTrue(e.getMessage().contains("unaligned unmap: iova=0x1000 size=0x1800"), e.getMessage());
        assertEquals(2, table.leaves.size());
        assertEquals(OptionalLong.of(0x10000L), domain.iovaToPhys(SZ_4K));
        assertEquals(0, table.invalidationActivity());
    }

    @Test
    void a_zero_size_unmap_reaches_no_driver_call() {
        List<Long> checked = new ArrayList<>();
        IommuDomainOps recording = new DelegatingDomainOps(table) {
            @Override
            public void checkUnmap(long iova, long size) {
                checked.add(size);
            }
        };
        IommuDomain d = IommuDomains.create(recording, LPAE_4K, DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, IAS);
        d.map(0, 0, SZ_4K, IommuProt.READ);
        assertEquals(0, d.unmap(0, 0));
        assertEquals(List.of(), checked);
        assertEquals(SZ_4K, d.unmap(0, SZ_4K));
        assertEquals(List.of(SZ_4K), checked, "a real unmap is checked first");
    }

    @Test
    void a_driver_unmapping_more_than_asked_is_reported() {
        domain.map(0, 0, 2 * SZ_4K, IommuProt.READ);
        IommuDomainOps liar = new DelegatingDomainOps(table) {
            @Override
            public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
                return table.unmapPages(iova, pgsize, pgcount, gather) + pgsize; // one page too many
            }
        };
        IommuDomain d = IommuDomains.create(liar, LPAE_4K, DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, IAS);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.unmap(0, SZ_4K));
        assertTrue(e.getMessage().contains("unmapPages returned bytes=0x2000"), e.getMessage());
    }

    @Test
    void an_undo_that_leaves_pages_mapped_is_reported_with_the_failure() {
        IommuDomainOps stuck = new DelegatingDomainOps(table) {
            @Override
            public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
                return 0; // unmaps nothing
            }
        };
        IommuDomain d = IommuDomains.create(stuck, LPAE_4K, DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, IAS);
        table.failAtIova = 2 * SZ_4K;
        FakePageTable.NoMemory e = assertThrows(FakePageTable.NoMemory.class,
                () -> d.map(0, 0, 4 * SZ_4K, IommuProt.READ));
        assertEquals(1, e.getSuppressed().length);
        assertTrue(e.getSuppressed()[0].getMessage().contains("unmapped=0x0 of mapped=0x2000"),
                e.getSuppressed()[0].getMessage());
    }

    @Test
    void a_domain_may_be_as_small_as_its_smallest_page() {
        IommuDomain tiny = IommuDomains.create(table, LPAE_4K, DomainType.DMA,
                InvalidationStrategy.LINUX, 12);
        assertEquals(SZ_4K - 1, tiny.apertureEnd());
        tiny.map(0, SZ_2M, SZ_4K, IommuProt.READ);
        assertEquals(OptionalLong.of(SZ_2M + 0xFFF), tiny.iovaToPhys(0xFFF));
        assertThrows(OutOfRangeException.class, () -> tiny.map(SZ_4K, 0, SZ_4K, IommuProt.READ));
    }

    @Test
    void a_partial_map_failure_counts_zero_bytes_or_more_but_never_fewer() {
        FakePageTable.NoMemory why = new FakePageTable.NoMemory(0);
        assertEquals(0, new MapPagesException(0, why).mapped());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MapPagesException(-1, why));
        assertTrue(e.getMessage().contains("mapped=-1"), e.getMessage());
    }

    @Test
    void a_zero_size_map_or_unmap_is_a_no_op_wherever_it_points() {
        long beyond = domain.apertureEnd() + 1;
        domain.map(0x1000, 0x2000, 0, IommuProt.READ);
        domain.map(beyond, 0, 0, IommuProt.READ);
        assertEquals(0, domain.unmap(beyond, 0));
        domain.mapRuns(beyond, new long[] {0x2000}, new long[] {0}, 1, IommuProt.READ);
        assertTrue(table.mapCalls.isEmpty());
        assertEquals(List.of(), table.commands, "the empty gather's sync invalidates nothing");
    }

    @Test
    void runs_whose_device_or_physical_range_wraps_are_refused_before_anything_is_mapped() {
        IommuDomain wide = IommuDomains.create(table, LPAE_4K, DomainType.DMA,
                InvalidationStrategy.LINUX, 63);
        long half = 1L << 62;
        OutOfRangeException e = assertThrows(OutOfRangeException.class, () -> wide.mapRuns(
                0, new long[] {0, 0}, new long[] {half, half}, 2, IommuProt.READ));
        assertTrue(e.getMessage().contains("run 1 iova=0x4000000000000000"), e.getMessage());
        long top = Long.MAX_VALUE & -SZ_4K;
        e = assertThrows(OutOfRangeException.class, () -> domain.mapRuns(
                0, new long[] {top}, new long[] {2 * SZ_4K}, 1, IommuProt.READ));
        assertTrue(e.getMessage().contains("paddr=0x7ffffffffffff000"), e.getMessage());
        assertTrue(table.mapCalls.isEmpty());
    }
}

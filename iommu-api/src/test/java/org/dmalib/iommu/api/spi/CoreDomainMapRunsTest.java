package org.dmalib.iommu.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidProtException;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/** {@code iommu_map_sg} as {@link IommuDomain#mapRuns}: the core's page lists and its undo. */
class CoreDomainMapRunsTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_2M = 1L << 21;
    private static final PageSizes LPAE_4K = PageSizes.of(SZ_4K, SZ_2M, 1L << 30);
    private static final IommuProt RW = IommuProt.READ_WRITE;

    private final FakePageTable table = new FakePageTable(SZ_4K, InvalidationStrategy.LINUX, true);
    private final GatheringDomain domain = domainOver(table);

    private static GatheringDomain domainOver(IommuDomainOps ops) {
        return IommuDomains.create(ops, LPAE_4K, DomainType.DMA, InvalidationStrategy.LINUX, 48);
    }

    /** A driver that maps a whole page list per call and records each list's length. */
    private static class ListDriver extends DelegatingDomainOps {
        final List<Integer> lists = new ArrayList<>();

        ListDriver(FakePageTable table) {
            super(table);
        }

        @Override
        public long mapPageList(long iova, long pgsize, long[] paddrs, int from, int count,
                IommuProt prot) {
            lists.add(count);
            for (int i = 0; i < count; i++) {
                long n = table.mapPages(iova + i * pgsize, paddrs[from + i], pgsize, 1, prot);
                assertEquals(pgsize, n);
            }
            return count * pgsize;
        }
    }

    @Test
    void runs_go_one_after_another_and_contiguous_pages_reach_a_default_driver_together() {
        long iova = 0x10_0000;
        domain.mapRuns(iova, new long[] {0x5000, 0x30000, 0x9000}, new long[] {SZ_4K, 2 * SZ_4K,
                SZ_4K}, 3, RW);
        // the default mapPageList maps the list's contiguous prefix with one mapPages
        assertEquals(List.of(new FakePageTable.MapCall(iova, 0x5000, SZ_4K, 1),
                        new FakePageTable.MapCall(iova + SZ_4K, 0x30000, SZ_4K, 2),
                        new FakePageTable.MapCall(iova + 3 * SZ_4K, 0x9000, SZ_4K, 1)),
                table.mapCalls);
        assertEquals(OptionalLong.of(0x5abcL), domain.iovaToPhys(iova + 0xabc));
        assertEquals(OptionalLong.of(0x31008L), domain.iovaToPhys(iova + 2 * SZ_4K + 8));
        assertEquals(OptionalLong.of(0x9000L), domain.iovaToPhys(iova + 3 * SZ_4K));
        assertEquals(0, table.invalidationActivity(), "map issues no invalidation");
    }

    @Test
    void a_run_that_allows_blocks_gets_them_between_page_lists() {
        // one page just below 2 MiB, then a 2 MiB run at a 2 MiB-aligned iova and paddr
        ListDriver driver = new ListDriver(table);
        GatheringDomain d = domainOver(driver);
        d.mapRuns(SZ_2M - SZ_4K, new long[] {0x7000, 0x4000_0000L, 0x8000},
                new long[] {SZ_4K, SZ_2M, SZ_4K}, 3, RW);
        assertEquals(List.of(1, 1), driver.lists, "one page before the block, one after");
        assertEquals(new FakePageTable.MapCall(SZ_2M, 0x4000_0000L, SZ_2M, 1), table.mapCalls.get(1));
        assertEquals(OptionalLong.of(0x8000L), d.iovaToPhys(2 * SZ_2M));
    }

    @Test
    void a_list_driver_gets_at_most_a_table_of_pages_per_call() {
        ListDriver driver = new ListDriver(table);
        GatheringDomain d = domainOver(driver);
        int n = 600;
        long[] paddrs = everyOtherPage(n);
        long[] sizes = sizes(n, SZ_4K);
        d.mapRuns(0, paddrs, sizes, n, RW);
        assertEquals(List.of(512, 88), driver.lists);
        assertEquals(n, table.leaves.size());
        assertEquals(OptionalLong.of(paddrs[599]), d.iovaToPhys(599 * SZ_4K));
    }

    @Test
    void a_table_bounded_driver_is_given_the_rest_of_each_list_until_it_is_mapped() {
        // maps at most up to the end of the 2 MiB table holding iova, as the LPAE driver does;
        // records each call's iova, first physical page and count
        List<List<Long>> calls = new ArrayList<>();
        ListDriver bounded = new ListDriver(table) {
            @Override
            public long mapPageList(long iova, long pgsize, long[] paddrs, int from, int count,
                    IommuProt prot) {
                calls.add(List.of(iova, paddrs[from], (long) count));
                int n = (int) Math.min(count, (SZ_2M - (iova & (SZ_2M - 1))) / pgsize);
                return super.mapPageList(iova, pgsize, paddrs, from, n, prot);
            }
        };
        GatheringDomain d = domainOver(bounded);
        int n = 600;
        long[] paddrs = everyOtherPage(n);
        long[] sizes = sizes(n, SZ_4K);
        long iova = 500 * SZ_4K; // 12 entries left in the first table
        d.mapRuns(iova, paddrs, sizes, n, RW);
        assertEquals(List.of(List.of(iova, paddrs[0], 512L), List.of(SZ_2M, paddrs[12], 500L),
                        List.of(iova + 512 * SZ_4K, paddrs[512], 88L),
                        List.of(2 * SZ_2M, paddrs[524], 76L)), calls,
                "lists of a table's worth of pages at most, each handed over until mapped");
        assertEquals(n, table.leaves.size());
        assertEquals(OptionalLong.of(paddrs[599]), d.iovaToPhys(iova + 599 * SZ_4K));
    }

    @Test
    void empty_runs_among_single_pages_map_nothing_of_their_own() {
        ListDriver driver = new ListDriver(table);
        GatheringDomain d = domainOver(driver);
        // as many bytes as three single pages, but not three single pages
        d.mapRuns(0, new long[] {0x5000, 0x9000, 0x20000}, new long[] {SZ_4K, 0, 2 * SZ_4K}, 3, RW);
        assertEquals(List.of(3), driver.lists, "the pages of the runs, in one list");
        assertEquals(OptionalLong.of(0x5000L), d.iovaToPhys(0));
        assertEquals(OptionalLong.of(0x20000L), d.iovaToPhys(SZ_4K));
        assertEquals(OptionalLong.of(0x21000L), d.iovaToPhys(2 * SZ_4K));
    }

    @Test
    void a_bad_run_is_refused_naming_it_before_anything_is_mapped() {
        UnalignedException u = assertThrows(UnalignedException.class, () -> domain.mapRuns(
                0, new long[] {0x1000, 0x2800}, new long[] {SZ_4K, SZ_4K}, 2, RW));
        assertTrue(u.getMessage().contains("paddr=0x2800"), u.getMessage());
        OutOfRangeException o = assertThrows(OutOfRangeException.class, () -> domain.mapRuns(
                0, new long[] {0x1000, 0x2000}, new long[] {SZ_4K, -SZ_4K}, 2, RW));
        assertTrue(o.getMessage().contains("run 1"), o.getMessage());
        long end = domain.apertureEnd();
        assertThrows(OutOfRangeException.class, () -> domain.mapRuns(
                end + 1 - SZ_4K, new long[] {0, SZ_4K}, new long[] {SZ_4K, SZ_4K}, 2, RW));
        assertThrows(InvalidProtException.class, () -> domain.mapRuns(
                0, new long[] {0}, new long[] {SZ_4K}, 1, IommuProt.NONE));
        assertThrows(IndexOutOfBoundsException.class, () -> domain.mapRuns(
                0, new long[] {0}, new long[] {SZ_4K}, 2, RW));
        assertThrows(IndexOutOfBoundsException.class, () -> domain.mapRuns(
                0, new long[] {0}, new long[] {SZ_4K}, -1, RW));
        assertTrue(table.mapCalls.isEmpty());
        domain.mapRuns(0, new long[0], new long[0], 0, RW);
        assertTrue(table.mapCalls.isEmpty(), "no runs map nothing");
    }

    @Test
    void a_driver_failure_part_way_unmaps_with_a_sync_what_the_call_mapped() {
        domain.map(0x40_0000, 0x1000, SZ_4K, RW); // an earlier mapping that must stay
        table.failAtIova = 0x3000;
        FakePageTable.NoMemory e = assertThrows(FakePageTable.NoMemory.class, () -> domain.mapRuns(
                0x1000, new long[] {0x10000, 0x20000, 0x30000, 0x40000},
                new long[] {SZ_4K, SZ_4K, SZ_4K, SZ_4K}, 4, RW));
        assertTrue(e.getMessage().contains("iova=0x3000"), e.getMessage());
        assertEquals(1, table.leaves.size(), "only the earlier mapping is left");
        assertEquals(OptionalLong.empty(), domain.iovaToPhys(0x1000));
        assertEquals(1, table.syncCalls, "the undo's unmap synced");
    }

    @Test
    void a_list_driver_breaking_the_count_contract_is_reported() {
        ListDriver liar = new ListDriver(table) {
            @Override
            public long mapPageList(long iova, long pgsize, long[] paddrs, int from, int count,
                    IommuProt prot) {
                super.mapPageList(iova, pgsize, paddrs, from, count, prot);
                return (count + 1) * pgsize; // more than it was given
            }
        };
        GatheringDomain d = domainOver(liar);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.mapRuns(
                0, new long[] {0x1000, 0x3000}, new long[] {SZ_4K, SZ_4K}, 2, RW));
        assertTrue(e.getMessage().contains("mapPageList returned"), e.getMessage());
        assertEquals(2, table.leaves.size(),
                "the core undoes only what the driver reported mapping: nothing, here");
    }

    @Test
    void an_already_mapped_page_in_a_later_run_leaves_the_domain_as_before() {
        domain.map(0x3000, 0x90000, SZ_4K, RW);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class, () -> domain.mapRuns(
                0x1000, new long[] {0x10000, 0x20000, 0x30000},
                new long[] {SZ_4K, SZ_4K, SZ_4K}, 3, RW));
        assertTrue(e.getMessage().contains("iova=0x3000"), e.getMessage());
        assertEquals(1, table.leaves.size());
        assertEquals(OptionalLong.of(0x90000L), domain.iovaToPhys(0x3000));
    }

    @Test
    void the_interface_default_maps_run_by_run_and_undoes_a_failure() {
        IommuDomain plain = new ForwardingDomain(domain); // only map, unmap: the default mapRuns
        plain.mapRuns(0x1000, new long[] {0x10000, 0x30000}, new long[] {SZ_4K, 2 * SZ_4K}, 2, RW);
        assertEquals(OptionalLong.of(0x31000L), plain.iovaToPhys(0x3000));
        table.failAtIova = 0x6000;
        assertThrows(FakePageTable.NoMemory.class, () -> plain.mapRuns(0x5000,
                new long[] {0x50000, 0x60000}, new long[] {SZ_4K, SZ_4K}, 2, RW));
        assertEquals(OptionalLong.empty(), plain.iovaToPhys(0x5000), "the first run was undone");
        assertEquals(3, table.leaves.size(), "the first call's pages stay");
        assertThrows(UnalignedException.class, () -> plain.mapRuns(0x9000,
                new long[] {0x70000, 0x80800}, new long[] {SZ_4K, SZ_4K}, 2, RW));
        assertEquals(OptionalLong.empty(), plain.iovaToPhys(0x9000));
    }

    @Test
    void a_list_driver_overreporting_a_partial_map_of_the_rest_of_a_list_is_reported() {
        IllegalStateException e = mapTwentyPagesFromEntry500(new TableBoundedFirst(table) {
            @Override
            long rest(long iova, long pgsize, long[] paddrs, int from, int count, IommuProt prot) {
                // claims one page more than the rest it was given, then fails
                throw new MapPagesException((count + 1) * pgsize, new FakePageTable.NoMemory(iova));
            }
        });
        assertTrue(e.getMessage().contains("mapPageList reported bytes=0x9000"), e.getMessage());
        assertTrue(e.getMessage().contains("pgcount=8"), e.getMessage());
    }

    @Test
    void the_interface_default_reports_an_undo_that_left_pages_mapped() {
        IommuDomainOps stuck = new DelegatingDomainOps(table) {
            @Override
            public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
                return 0; // unmaps nothing
            }
        };
        IommuDomain plain = new ForwardingDomain(domainOver(stuck));
        table.failAtIova = 0x6000;
        FakePageTable.NoMemory e = assertThrows(FakePageTable.NoMemory.class, () -> plain.mapRuns(
                0x5000, new long[] {0x50000, 0x60000}, new long[] {SZ_4K, SZ_4K}, 2, RW));
        assertEquals(1, e.getSuppressed().length);
        assertTrue(e.getSuppressed()[0].getMessage().contains("unmapped=0x0 of mapped=0x1000"),
                e.getSuppressed()[0].getMessage());
    }


    @Test
    void multi_page_runs_fill_page_lists_of_at_most_a_table_each() {
        ListDriver driver = new ListDriver(table);
        GatheringDomain d = domainOver(driver);
        int n = 200; // runs of three pages, none contiguous with the next: 600 pages
        long[] paddrs = new long[n];
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            paddrs[i] = (4L * i + 1) * SZ_4K;
            sizes[i] = 3 * SZ_4K;
        }
        d.mapRuns(0, paddrs, sizes, n, RW);
        assertEquals(List.of(512, 88), driver.lists);
        assertEquals(600, table.leaves.size());
        assertEquals(OptionalLong.of(paddrs[199] + 2 * SZ_4K), d.iovaToPhys(599 * SZ_4K));
    }

    @Test
    void single_pages_before_a_longer_run_are_handed_over_a_table_at_a_time() {
        ListDriver driver = new ListDriver(table);
        GatheringDomain d = domainOver(driver);
        int n = 601; // 600 single pages, then one run of two
        long[] paddrs = new long[n];
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            paddrs[i] = (4L * i + 1) * SZ_4K;
            sizes[i] = SZ_4K;
        }
        sizes[600] = 2 * SZ_4K;
        d.mapRuns(0, paddrs, sizes, n, RW);
        assertEquals(List.of(512, 90), driver.lists);
        assertEquals(602, table.leaves.size());
        assertEquals(OptionalLong.of(paddrs[600] + SZ_4K), d.iovaToPhys(601 * SZ_4K));
    }

    @Test
    void a_list_driver_overreporting_the_rest_of_a_list_is_reported() {
        IllegalStateException e = mapTwentyPagesFromEntry500(new TableBoundedFirst(table) {
            @Override
            long rest(long iova, long pgsize, long[] paddrs, int from, int count, IommuProt prot) {
                mapList(iova, pgsize, paddrs, from, count, prot);
                return (count + 1) * pgsize; // one page more than the rest it was given
            }
        });
        assertTrue(e.getMessage().contains("mapPageList returned bytes=0x9000"), e.getMessage());
        assertTrue(e.getMessage().contains("pgsize=0x1000 pgcount=8"), e.getMessage());
    }

    /**
     * A list driver whose first call maps only up to the 2 MiB table boundary, as LPAE's does;
     * {@link #rest} answers the call for the rest of the list.
     */
    private abstract static class TableBoundedFirst extends ListDriver {
        TableBoundedFirst(FakePageTable table) {
            super(table);
        }

        @Override
        public long mapPageList(long iova, long pgsize, long[] paddrs, int from, int count,
                IommuProt prot) {
            if (from == 0) {
                int inTable = (int) ((SZ_2M - (iova & (SZ_2M - 1))) / pgsize);
                return mapList(iova, pgsize, paddrs, from, inTable, prot);
            }
            return rest(iova, pgsize, paddrs, from, count, prot);
        }

        /** The list driver's own map of {@code count} pages. */
        final long mapList(long iova, long pgsize, long[] paddrs, int from, int count, IommuProt prot) {
            return super.mapPageList(iova, pgsize, paddrs, from, count, prot);
        }

        abstract long rest(long iova, long pgsize, long[] paddrs, int from, int count, IommuProt prot);
    }

    /**
     * Maps 20 scattered pages from entry 500 of a table through {@code driver} (12 fit in the
     * first table: the second call gets the other 8) and returns the error the core reports.
     */
    private IllegalStateException mapTwentyPagesFromEntry500(IommuDomainOps driver) {
        GatheringDomain d = domainOver(driver);
        long[] paddrs = everyOtherPage(20);
        long[] sizes = sizes(20, SZ_4K);
        return assertThrows(IllegalStateException.class,
                () -> d.mapRuns(500 * SZ_4K, paddrs, sizes, 20, RW));
    }

    @Test
    void a_driver_failing_with_nothing_mapped_has_its_reason_rethrown() {
        IommuDomainOps failing = new DelegatingDomainOps(table) {
            @Override
            public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
                throw new MapPagesException(0, new FakePageTable.NoMemory(iova));
            }
        };
        GatheringDomain d = domainOver(failing);
        FakePageTable.NoMemory e = assertThrows(FakePageTable.NoMemory.class,
                () -> d.map(SZ_2M, 0, SZ_2M, RW));
        assertTrue(e.getMessage().contains("iova=0x200000"), e.getMessage());
        assertEquals(0, table.invalidationActivity(), "nothing mapped, nothing undone");
    }

    @Test
    void a_driver_reporting_an_impossible_partial_map_is_reported() {
        IommuDomainOps liar = new DelegatingDomainOps(table) {
            @Override
            public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
                throw new MapPagesException(pgsize / 2, new FakePageTable.NoMemory(iova));
            }
        };
        GatheringDomain d = domainOver(liar);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> d.map(SZ_2M, 0, SZ_2M, RW));
        assertTrue(e.getMessage().contains("mapPages reported bytes=0x100000"), e.getMessage());
        assertEquals(1, e.getSuppressed().length);
        assertTrue(e.getSuppressed()[0] instanceof MapPagesException);
    }

    @Test
    void a_driver_mapping_nothing_without_a_failure_is_reported() {
        IommuDomainOps idle = new DelegatingDomainOps(table) {
            @Override
            public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
                return 0;
            }
        };
        GatheringDomain d = domainOver(idle);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> d.map(0, 0, SZ_4K, RW));
        assertTrue(e.getMessage().contains("mapPages returned bytes=0x0"), e.getMessage());
    }

    @Test
    void a_bad_later_run_is_named_by_its_own_device_address() {
        UnalignedException u = assertThrows(UnalignedException.class, () -> domain.mapRuns(
                0x10000, new long[] {0x1000, 0x2000, 0x3800}, new long[] {SZ_4K, 2 * SZ_4K, SZ_4K}, 3, RW));
        assertTrue(u.getMessage().contains("iova=0x13000 paddr=0x3800"), u.getMessage());
        OutOfRangeException o = assertThrows(OutOfRangeException.class, () -> domain.mapRuns(
                0x10000, new long[] {0x1000, -SZ_4K}, new long[] {2 * SZ_4K, SZ_4K}, 2, RW));
        assertTrue(o.getMessage().contains("run 1 iova=0x12000"), o.getMessage());
        domain.mapRuns(0, new long[] {0}, new long[] {SZ_4K}, 1, RW); // iova and paddr 0 are fine
        assertEquals(OptionalLong.of(0L), domain.iovaToPhys(0));
        assertEquals(1, table.mapCalls.size(), "only the good call reached the driver");
    }

    /** Physical pages 1, 3, 5, ...: {@code n} single pages, no two contiguous. */
    private static long[] everyOtherPage(int n) {
        long[] paddrs = new long[n];
        for (int i = 0; i < n; i++) {
            paddrs[i] = (2L * i + 1) * SZ_4K;
        }
        return paddrs;
    }

    /** {@code n} run sizes of {@code size} bytes each. */
    private static long[] sizes(int n, long size) {
        long[] sizes = new long[n];
        Arrays.fill(sizes, size);
        return sizes;
    }
}

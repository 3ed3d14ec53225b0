package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A map of a domain of the SMMU driver that fails part-way, after the driver mapped some of it
 * (table memory running out, a later page already mapped or beyond the output address size):
 * nothing of the call stays mapped, the mappings that were there stay, and every table the call
 * took belongs to the domain. As in Linux, the undo frees only the tables its own block-sized
 * unmaps cover; the tables above them stay, empty (tables are freed with the domain or by a
 * block-sized unmap, never because they became empty, which keeps table installation
 * lock-free): the next map reuses them, and freeing the domain returns the table memory to what
 * it was before the domain.
 */
class MapFailureTest {
    private static final long PAGE = 4096;
    private static final int SID = 9;
    // 8 MiB of 4 KiB pages: a level-1, a level-2 and four level-3 tables under the pgd
    private static final long SIZE = 8 * Rig.MIB;
    private static final long IOVA = 4 * Rig.GIB;

    private static Rig rig(boolean coherentWalk) {
        return new Rig(SmmuConfig.gem5().withCoherentWalk(coherentWalk));
    }

    private static void assertNothingMapped(IommuDomain domain, long iova, long size) {
        for (long a = iova; a < iova + size; a += PAGE) {
            assertEquals(OptionalLong.empty(), domain.iovaToPhys(a),
                    String.format("iova=0x%x", a));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void running_out_of_tables_half_way_through_a_map_leaves_nothing_mapped(boolean coherent) {
        Rig rig = rig(coherent);
        long empty = rig.tables.bytesInUse();
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        DomainPageTable table = rig.driver.domainOps(domain).table();
        Hoard hoard = Hoard.all(rig.tables);
        hoard.release4k(3); // the level-1, level-2 and first level-3 table: 2 MiB of the 8
        int blocks = rig.tables.blocksInUse();
        int tables = table.tablesInUse();
        PageTableMemoryException e = assertThrows(PageTableMemoryException.class,
                () -> domain.map(IOVA, Rig.DATA + PAGE, SIZE, IommuProt.READ_WRITE));
        assertTrue(e.getMessage().contains("bytes=4096"), e.getMessage());
        assertNothingMapped(domain, IOVA, SIZE);
        assertEquals(0, table.leafCount());
        assertEquals(DmaStatus.ABORT, Rig.read(port, IOVA));
        // the undo's 2 MiB unmap freed the level-3 table; the level-1 and level-2 tables stay
        assertEquals(tables + 2, table.tablesInUse());
        assertEquals(blocks + 2, rig.tables.blocksInUse(), "every block taken is the domain's");

        hoard.releaseAll();
        domain.map(IOVA, Rig.DATA + PAGE, SIZE, IommuProt.READ_WRITE);
        assertEquals(tables + 6, table.tablesInUse(), "the retry reused the two tables");
        Rig.assertReads(port, IOVA, SIZE, 64 * PAGE, DmaStatus.OK);
        assertEquals(SIZE, domain.unmap(IOVA, SIZE));
        rig.driver.detach(SID);
        rig.driver.freeDomain(domain);
        assertEquals(empty, rig.tables.bytesInUse(), "freeing the domain returned every table");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void running_out_of_tables_half_way_through_a_page_list_leaves_nothing_mapped(
            boolean coherent) {
        Rig rig = rig(coherent);
        long empty = rig.tables.bytesInUse();
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        DomainPageTable table = rig.driver.domainOps(domain).table();
        int n = (int) (SIZE / PAGE);
        long[] paddrs = new long[n];
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            paddrs[i] = Rig.DATA + (long) ((i * 7) % n) * PAGE; // discontiguous pages
            sizes[i] = PAGE;
        }
        Hoard hoard = Hoard.all(rig.tables);
        hoard.release4k(4); // two of the four level-3 tables
        int blocks = rig.tables.blocksInUse();
        int tables = table.tablesInUse();
        assertThrows(PageTableMemoryException.class,
                () -> domain.mapRuns(IOVA, paddrs, sizes, n, IommuProt.READ));
        assertNothingMapped(domain, IOVA, SIZE);
        assertEquals(0, table.leafCount());
        assertEquals(tables + 2, table.tablesInUse(), "the level-1 and level-2 tables stay");
        assertEquals(blocks + 2, rig.tables.blocksInUse(), "every block taken is the domain's");
        hoard.releaseAll();
        domain.mapRuns(IOVA, paddrs, sizes, n, IommuProt.READ);
        assertEquals(tables + 6, table.tablesInUse(), "the retry reused the two tables");
        assertEquals(OptionalLong.of(paddrs[n - 1]), domain.iovaToPhys(IOVA + SIZE - PAGE));
        rig.driver.freeDomain(domain);
        assertEquals(empty, rig.tables.bytesInUse());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void a_later_run_over_a_mapping_undoes_the_earlier_runs_and_keeps_the_mapping(
            boolean coherent) {
        Rig rig = rig(coherent);
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        long mapped = IOVA + 3 * Rig.MIB; // in the second level-3 table of the range
        domain.map(mapped, Rig.DATA, PAGE, IommuProt.READ);
        assertEquals(DmaStatus.OK, Rig.read(port, mapped));
        long leaves = rig.driver.domainOps(domain).table().leafCount();
        long[] paddrs = {2 * Rig.GIB, 2 * Rig.GIB + 4 * Rig.MIB};
        long[] sizes = {2 * Rig.MIB + PAGE, 2 * Rig.MIB}; // a block, a page, then pages
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> domain.mapRuns(IOVA, paddrs, sizes, 2, IommuProt.READ_WRITE));
        assertTrue(e.getMessage().contains(String.format("iova=0x%x", mapped)), e.getMessage());
        assertNothingMapped(domain, IOVA, mapped - IOVA);
        assertNothingMapped(domain, mapped + PAGE, IOVA + 4 * Rig.MIB + PAGE - mapped - PAGE);
        assertEquals(OptionalLong.of(Rig.DATA), domain.iovaToPhys(mapped));
        assertEquals(leaves, rig.driver.domainOps(domain).table().leafCount());
        assertEquals(DmaStatus.OK, Rig.read(port, mapped));
        assertEquals(DmaStatus.ABORT, Rig.read(port, IOVA));
        assertEquals(PAGE, domain.unmap(mapped, PAGE));
        domain.mapRuns(IOVA, paddrs, sizes, 2, IommuProt.READ_WRITE);
        assertEquals(OptionalLong.of(2 * Rig.GIB + 4 * Rig.MIB), domain.iovaToPhys(
                IOVA + 2 * Rig.MIB + PAGE));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void a_physical_range_leaving_the_output_size_in_a_later_table_maps_nothing(
            boolean coherent) {
        Rig rig = rig(coherent);
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        long oas = 1L << rig.driver.features().outputAddressBits();
        long iova = Rig.GIB - PAGE; // the last entry of its level-3 (and level-2) table
        OutOfRangeException e = assertThrows(OutOfRangeException.class,
                () -> domain.map(iova, oas - PAGE, 2 * PAGE, IommuProt.READ));
        assertTrue(e.getMessage().contains(String.format("paddr=0x%x", oas)), e.getMessage());
        assertNothingMapped(domain, iova, 2 * PAGE);
        assertEquals(0, rig.driver.domainOps(domain).table().leafCount());
        domain.map(iova, oas - 2 * PAGE, 2 * PAGE, IommuProt.READ);
        assertEquals(OptionalLong.of(oas - 1), domain.iovaToPhys(iova + 2 * PAGE - 1));
    }
}

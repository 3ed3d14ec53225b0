package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidProtException;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.UnalignedException;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input to a domain of the SMMU driver (map, mapRuns, unmap, iovaToPhys): each is refused
 * with a typed error naming the value, and afterwards every structure is as it was: the same
 * translations, the same tables and table memory, no command issued, and a good call succeeds.
 */
class DomainBadInputTest {
    private static final int IAS = 39;
    private static final long LIMIT = 1L << IAS;
    private static final long OAS_LIMIT = 1L << 48;
    private static final int SID = 3;

    private final Rig rig = new Rig(SmmuConfig.gem5());

    /** What a refused call must leave as it was. */
    private record State(long bytes, int blocks, int tables, long leaves,
            SmmuDriverCounters counters) {}

    private State state(IommuDomain domain) {
        DomainPageTable t = rig.driver.domainOps(domain).table();
        return new State(rig.tables.bytesInUse(), rig.tables.blocksInUse(), t.tablesInUse(),
                t.leafCount(), rig.driver.counters());
    }

    private IommuDomain domain(int granule) {
        return rig.driver.allocateDomain(DomainType.UNMANAGED, InvalidationStrategy.LINUX,
                granule, IAS);
    }

    /** Asserts {@code call} throws {@code type} naming {@code named}, and changes nothing. */
    private void refused(IommuDomain domain, Class<? extends RuntimeException> type, String named,
            Executable call) {
        State before = state(domain);
        RuntimeException e = assertThrows(type, call, named);
        assertTrue(e.getMessage() != null && e.getMessage().contains(named),
                "message names " + named + ": " + e.getMessage());
        assertEquals(before, state(domain), named);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 16384, 65536})
    void bad_map_arguments_are_refused_naming_them_and_change_nothing(int granule) {
        IommuDomain d = domain(granule);
        long g = granule;
        long iova = 64 * g;
        d.map(iova, Rig.DATA, g, IommuProt.READ); // an existing mapping that must survive
        long free = 128 * g;
        IommuProt rw = IommuProt.READ_WRITE;
        refused(d, OutOfRangeException.class, "iova=" + hex(-g), () -> d.map(-g, Rig.DATA, g, rw));
        refused(d, OutOfRangeException.class, "paddr=" + hex(-g), () -> d.map(free, -g, g, rw));
        refused(d, OutOfRangeException.class, "size=" + hex(-g),
                () -> d.map(free, Rig.DATA, -g, rw));
        refused(d, OutOfRangeException.class, "size=" + hex(Long.MIN_VALUE),
                () -> d.map(free, Rig.DATA, Long.MIN_VALUE, rw));
        refused(d, UnalignedException.class, "iova=" + hex(free + g / 2),
                () -> d.map(free + g / 2, Rig.DATA, g, rw));
        refused(d, UnalignedException.class, "paddr=" + hex(Rig.DATA + 512),
                () -> d.map(free, Rig.DATA + 512, g, rw));
        refused(d, UnalignedException.class, "size=" + hex(g + 8),
                () -> d.map(free, Rig.DATA, g + 8, rw));
        refused(d, UnalignedException.class, "minPageSize=" + hex(g),
                () -> d.map(free, Rig.DATA, 1, rw));
        // the input address size: the last page maps (below), one past it does not
        refused(d, OutOfRangeException.class, "iova=" + hex(LIMIT),
                () -> d.map(LIMIT, Rig.DATA, g, rw));
        refused(d, OutOfRangeException.class, "apertureEnd=" + hex(LIMIT - 1),
                () -> d.map(LIMIT - g, Rig.DATA, 2 * g, rw));
        long top = Long.MAX_VALUE & -g;
        refused(d, OutOfRangeException.class, "iova=" + hex(top),
                () -> d.map(top, Rig.DATA, g, rw));
        refused(d, OutOfRangeException.class, "size=" + hex(top),
                () -> d.map(g, Rig.DATA, top, rw));
        // the physical side: wrapping past 2^63, beyond the 48-bit output address size
        refused(d, OutOfRangeException.class, "paddr=" + hex(top),
                () -> d.map(free, top, 2 * g, rw));
        refused(d, OutOfRangeException.class, "paddr=" + hex(OAS_LIMIT),
                () -> d.map(free, OAS_LIMIT, g, rw));
        refused(d, OutOfRangeException.class, "paddr=" + hex(OAS_LIMIT - g),
                () -> d.map(free, OAS_LIMIT - g, 2 * g, rw));
        // the protection
        refused(d, InvalidProtException.class, "prot=0x0",
                () -> d.map(free, Rig.DATA, g, IommuProt.NONE));
        refused(d, InvalidProtException.class, "prot=0x4",
                () -> d.map(free, Rig.DATA, g, IommuProt.CACHE));
        refused(d, InvalidProtException.class, "prot=0x38", () -> d.map(free, Rig.DATA, g,
                IommuProt.NOEXEC.with(IommuProt.MMIO).with(IommuProt.PRIV)));
        refused(d, NullPointerException.class, "prot", () -> d.map(free, Rig.DATA, g, null));

        assertEquals(OptionalLong.of(Rig.DATA), d.iovaToPhys(iova), "the old mapping survived");
        assertEquals(OptionalLong.empty(), d.iovaToPhys(free));
        d.map(free, Rig.DATA, g, rw);
        d.map(LIMIT - g, OAS_LIMIT - g, g, rw); // the last page of both address spaces
        assertEquals(OptionalLong.of(OAS_LIMIT - 1), d.iovaToPhys(LIMIT - 1));
        assertEquals(g, d.unmap(LIMIT - g, g));
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 16384, 65536})
    void bad_unmap_and_translate_arguments_are_refused_naming_them_and_change_nothing(
            int granule) {
        IommuDomain d = domain(granule);
        long g = granule;
        d.map(0, Rig.DATA, 4 * g, IommuProt.READ);
        refused(d, OutOfRangeException.class, "iova=" + hex(-g), () -> d.unmap(-g, g));
        refused(d, OutOfRangeException.class, "size=" + hex(-g), () -> d.unmap(0, -g));
        refused(d, UnalignedException.class, "iova=" + hex(g / 2), () -> d.unmap(g / 2, g));
        refused(d, UnalignedException.class, "size=" + hex(g + 1), () -> d.unmap(0, g + 1));
        refused(d, OutOfRangeException.class, "iova=" + hex(LIMIT), () -> d.unmap(LIMIT, g));
        refused(d, OutOfRangeException.class, "size=" + hex(LIMIT + g),
                () -> d.unmap(0, LIMIT + g));
        long top = Long.MAX_VALUE & -g;
        refused(d, OutOfRangeException.class, "size=" + hex(top), () -> d.unmap(g, top));
        refused(d, OutOfRangeException.class, "iova=" + hex(-1L), () -> d.iovaToPhys(-1));
        refused(d, OutOfRangeException.class, "iova=" + hex(LIMIT), () -> d.iovaToPhys(LIMIT));
        refused(d, OutOfRangeException.class, "iova=" + hex(Long.MAX_VALUE),
                () -> d.iovaToPhys(Long.MAX_VALUE));
        for (long a = 0; a < 4 * g; a += g) {
            assertEquals(OptionalLong.of(Rig.DATA + a), d.iovaToPhys(a));
        }
        assertEquals(4 * g, d.unmap(0, 4 * g));
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 65536})
    void a_map_over_a_mapping_is_refused_naming_the_first_mapped_iova_and_maps_nothing(
            int granule) {
        IommuDomain d = domain(granule);
        rig.driver.attach(d, SID);
        DmaPort port = rig.port(SID);
        long g = granule;
        long at = 16 * g;
        d.map(at, Rig.DATA, 4 * g, IommuProt.READ);
        long other = Rig.DATA + 64 * g;
        // the same range, one page of it, a range around it, and ranges over its first or last
        // page, starting inside or before it: inside one last-level table, so nothing is mapped
        long[][] overlaps = {{at, 4 * g}, {at + g, g}, {at - 4 * g, 12 * g}, {at + 3 * g, 4 * g},
            {at - 2 * g, 3 * g}};
        for (long[] o : overlaps) {
            long first = Math.max(o[0], at);
            refused(d, AlreadyMappedException.class, "iova=" + hex(first),
                    () -> d.map(o[0], other, o[1], IommuProt.READ_WRITE));
        }
        for (long a = at - 4 * g; a < at + 8 * g; a += g) {
            boolean mapped = a >= at && a < at + 4 * g;
            assertEquals(mapped ? OptionalLong.of(Rig.DATA + a - at) : OptionalLong.empty(),
                    d.iovaToPhys(a), hex(a));
            assertEquals(mapped ? DmaStatus.OK : DmaStatus.ABORT, Rig.read(port, a), hex(a));
        }
        assertEquals(DmaStatus.ABORT, port.write(at, new byte[1], 0, 1), "still read-only");
        rig.driver.drainEvents();
        d.map(at + 4 * g, other, g, IommuProt.READ_WRITE); // right beside it: fine
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 16384, 65536})
    void a_block_over_pages_or_pages_inside_a_block_are_already_mapped(int granule) {
        IommuDomain d = domain(granule);
        long g = granule;
        long block = d.pageSizes().bitmap() & ~g;
        block = Long.lowestOneBit(block); // the level-2 block: 2M, 32M or 512M
        d.map(block, Rig.DATA, g, IommuProt.READ); // a page where a block could go
        d.map(2 * block, 2 * block, block, IommuProt.READ); // a block
        long b = block;
        refused(d, AlreadyMappedException.class, "iova=" + hex(b),
                () -> d.map(b, b, b, IommuProt.READ));
        refused(d, AlreadyMappedException.class, "iova=" + hex(2 * b + g),
                () -> d.map(2 * b + g, Rig.DATA, g, IommuProt.READ));
        refused(d, AlreadyMappedException.class, "iova=" + hex(2 * b),
                () -> d.map(2 * b, 4 * b, b, IommuProt.READ));
        assertEquals(OptionalLong.of(Rig.DATA), d.iovaToPhys(b));
        assertEquals(OptionalLong.of(2 * b + g), d.iovaToPhys(2 * b + g));
        assertEquals(b, d.unmap(2 * b, b));
        d.map(2 * b + g, Rig.DATA, g, IommuProt.READ); // the block's range is free again
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 65536})
    void bad_runs_are_refused_naming_them_before_any_run_is_mapped(int granule) {
        IommuDomain d = domain(granule);
        long g = granule;
        d.map(0, Rig.DATA, g, IommuProt.READ);
        long[] p = {Rig.DATA, Rig.DATA + 8 * g, Rig.DATA + 2 * g};
        long[] sz = {g, g, g};
        IommuProt r = IommuProt.READ;
        refused(d, IndexOutOfBoundsException.class, "-1", () -> d.mapRuns(g, p, sz, -1, r));
        refused(d, IndexOutOfBoundsException.class, "4", () -> d.mapRuns(g, p, sz, 4, r));
        refused(d, IndexOutOfBoundsException.class, "3",
                () -> d.mapRuns(g, p, new long[] {g, g}, 3, r));
        refused(d, NullPointerException.class, "prot", () -> d.mapRuns(g, p, sz, 3, null));
        assertThrows(NullPointerException.class, () -> d.mapRuns(g, null, sz, 3, r));
        assertThrows(NullPointerException.class, () -> d.mapRuns(g, p, null, 3, r));
        refused(d, InvalidProtException.class, "prot=0x0",
                () -> d.mapRuns(g, p, sz, 3, IommuProt.NONE));
        refused(d, UnalignedException.class, "iova=" + hex(3 * g), () -> d.mapRuns(g, p,
                new long[] {g, g, g / 2}, 3, r));
        refused(d, UnalignedException.class, "paddr=" + hex(Rig.DATA + 8 * g + 64),
                () -> d.mapRuns(g, new long[] {Rig.DATA, Rig.DATA + 8 * g + 64}, sz, 2, r));
        refused(d, OutOfRangeException.class, "size=" + hex(-g),
                () -> d.mapRuns(g, p, new long[] {g, -g, g}, 3, r));
        refused(d, OutOfRangeException.class, "paddr=" + hex(-g),
                () -> d.mapRuns(g, new long[] {Rig.DATA, -g}, sz, 2, r));
        refused(d, OutOfRangeException.class, "apertureEnd=" + hex(LIMIT - 1),
                () -> d.mapRuns(LIMIT - 2 * g, p, sz, 3, r));
        refused(d, OutOfRangeException.class, "run 1",
                () -> d.mapRuns(g, p, new long[] {g, Long.MAX_VALUE & -g}, 2, r));
        // a run over a mapping: named, and the run before it is not left mapped
        d.map(16 * g, Rig.DATA, g, r);
        refused(d, AlreadyMappedException.class, "iova=" + hex(16 * g),
                () -> d.mapRuns(15 * g, p, sz, 3, r));
        assertEquals(OptionalLong.empty(), d.iovaToPhys(15 * g));
        assertEquals(OptionalLong.empty(), d.iovaToPhys(g));
        d.mapRuns(g, p, sz, 3, r);
        assertEquals(OptionalLong.of(Rig.DATA + 8 * g), d.iovaToPhys(2 * g));
    }
}

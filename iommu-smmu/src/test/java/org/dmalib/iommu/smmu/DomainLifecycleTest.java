package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A domain's bounds at allocation, its driver calls' checks, and its refusal of use after free. */
class DomainLifecycleTest {
    private static final long PAGE = 4096;
    private final Rig rig = new Rig(SmmuConfig.gem5());

    @Test
    void every_driver_call_of_a_freed_domain_is_refused_naming_its_asid_and_issues_nothing() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        domain.map(0, Rig.DATA, 2 * PAGE, IommuProt.READ);
        SmmuDomain ops = rig.driver.domainOps(domain);
        int asid = ops.asid();
        rig.driver.freeDomain(domain);
        SmmuDriverCounters before = rig.driver.counters();
        IotlbGather gather = new IotlbGather();
        gather.addPage(0, PAGE, g -> { });
        Map<String, Executable> calls = Map.of(
                "mapPages", () -> ops.mapPages(0x10_0000, Rig.DATA, PAGE, 1, IommuProt.READ),
                "mapPageList", () -> ops.mapPageList(0x10_0000, PAGE, new long[] {Rig.DATA}, 0, 1,
                        IommuProt.READ),
                "unmapPages", () -> ops.unmapPages(0, PAGE, 1, gather),
                "checkUnmap", () -> ops.checkUnmap(0, PAGE),
                "flushIotlbAll", ops::flushIotlbAll,
                "iotlbSync", () -> ops.iotlbSync(gather),
                "iovaToPhys", () -> ops.iovaToPhys(0));
        calls.forEach((name, call) -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, call, name);
            assertEquals("domain with asid=" + asid + " was freed", e.getMessage(), name);
        });
        assertEquals(SmmuDriverCounters.ZERO, rig.driver.counters().minus(before),
                "no command for an ASID another domain may own by now");
        assertThrows(IllegalStateException.class, domain::flushIotlbAll);
    }

    @Test
    void a_page_list_of_another_size_than_the_granule_is_refused_naming_it() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        SmmuDomain ops = rig.driver.domainOps(domain);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.mapPageList(0, 2 * PAGE, new long[] {Rig.DATA}, 0, 1, IommuProt.READ));
        assertTrue(e.getMessage().contains("pgsize=0x2000"), e.getMessage());
        assertEquals(0, ops.table().leafCount());
    }

    @Test
    void input_address_sizes_from_25_bits_are_accepted() {
        IommuDomain small = rig.driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX,
                (int) PAGE, 25);
        assertEquals((1L << 25) - 1, small.apertureEnd());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rig.driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX,
                        (int) PAGE, 24));
        assertTrue(e.getMessage().contains("ias=24"), e.getMessage());
    }

    @Test
    void the_last_stream_of_the_table_attaches_and_detach_checks_the_stream_id() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, 255); // an 8-bit stream table
        rig.driver.detach(255);
        StreamIdException e = assertThrows(StreamIdException.class, () -> rig.driver.detach(256));
        assertTrue(e.getMessage().contains("streamId=256"), e.getMessage());
        assertThrows(StreamIdException.class, () -> rig.driver.detach(-1));
    }

    @Test
    void an_unmap_of_a_hole_beside_a_mapped_page_unmaps_and_invalidates_nothing() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        domain.map(0, Rig.DATA, PAGE, IommuProt.READ);
        SmmuDriverCounters before = rig.driver.counters();
        assertEquals(0, domain.unmap(PAGE, PAGE));
        assertEquals(SmmuDriverCounters.ZERO, rig.driver.counters().minus(before));
        assertEquals(Rig.DATA, domain.iovaToPhys(0).orElseThrow());
    }

    @Test
    void an_unmap_that_would_split_a_block_is_refused_before_anything_is_unmapped() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        long block = 2 * Rig.MIB;
        domain.map(block - PAGE, Rig.DATA, PAGE, IommuProt.READ);
        domain.map(block, Rig.DATA + block, block, IommuProt.READ); // one 2 MiB block entry
        SmmuDriverCounters before = rig.driver.counters();
        PartialUnmapException e = assertThrows(PartialUnmapException.class,
                () -> domain.unmap(block - PAGE, 2 * PAGE));
        assertEquals(block, e.blockIova());
        assertEquals(Rig.DATA, domain.iovaToPhys(block - PAGE).orElseThrow(), "the page stays");
        assertEquals(SmmuDriverCounters.ZERO, rig.driver.counters().minus(before));
    }

    @Test
    void counter_differences_are_taken_field_by_field() {
        SmmuDriverCounters later = new SmmuDriverCounters(10, 20, 30, 40, 50, 60, 70, 80, 90);
        SmmuDriverCounters earlier = new SmmuDriverCounters(1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertEquals(new SmmuDriverCounters(9, 18, 27, 36, 45, 54, 63, 72, 81), later.minus(earlier));
    }

    @Test
    void flush_iotlb_all_invalidates_the_asid_and_a_stale_entry_is_gone() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, 7);
        DmaPort port = rig.port(7);
        domain.map(0x10_0000, Rig.DATA, PAGE, IommuProt.READ);
        assertEquals(DmaStatus.OK, Rig.read(port, 0x10_0000));
        IotlbGather queued = new IotlbGather();
        queued.setQueued(true); // a flush queue owns the invalidation: nothing is issued now
        ((GatheringDomain) domain).unmapFast(0x10_0000, PAGE, queued);
        assertEquals(DmaStatus.OK, Rig.read(port, 0x10_0000), "stale IOTLB entry");
        SmmuDriverCounters before = rig.driver.counters();
        domain.flushIotlbAll();
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(1, d.tlbiNhAsid());
        assertEquals(1, d.cmdSyncs());
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0x10_0000));
    }
}

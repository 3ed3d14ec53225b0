package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.smmu.CommandRing.Cmd;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Domain teardown ({@code freeDomain}) of a domain with many tables still mapped invalidates
 * with one ASID-wide command and one sync: not per page, not per table, whatever the strategy.
 */
class DomainTeardownTest {
    private static final int SID = 7;
    private static final long PAGE = 4096;

    @ParameterizedTest(name = "{0} ril={1}")
    @MethodSource("org.dmalib.iommu.smmu.Rig#strategiesWithAndWithoutRil")
    void free_domain_invalidates_with_a_single_asid_wide_command_and_one_sync(
            InvalidationStrategy strategy, boolean ril) {
        Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(ril));
        long baseline = rig.tables.bytesInUse();
        IommuDomain domain = rig.domain(strategy, (int) PAGE);
        int asid = rig.driver.domainOps(domain).asid();
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        // 16 MiB of 4 KiB leaves (8 leaf tables), 2 MiB blocks and a 1 GiB block, in 3 L1 slots
        domain.map(Rig.GIB, Rig.DATA + PAGE, 16 * Rig.MIB, IommuProt.READ_WRITE);
        domain.map(2 * Rig.GIB, Rig.DATA, 32 * Rig.MIB, IommuProt.READ_WRITE);
        domain.map(3 * Rig.GIB, 0, Rig.GIB, IommuProt.READ);
        domain.map(512 * Rig.GIB, Rig.DATA + PAGE, 64 * PAGE, IommuProt.READ); // another L0 slot
        int tables = rig.driver.domainOps(domain).table().tablesInUse();
        assertTrue(tables >= 13, "many tables: " + tables);
        Rig.assertReads(port, Rig.GIB, 16 * Rig.MIB, 64 * PAGE, DmaStatus.OK);
        Rig.assertReads(port, 2 * Rig.GIB, 32 * Rig.MIB, 2 * Rig.MIB, DmaStatus.OK);
        assertEquals(DmaStatus.OK, Rig.read(port, 3 * Rig.GIB + 12345));
        rig.driver.detach(SID);

        CommandRing ring = new CommandRing(rig.smmu, rig.machine.memory());
        SmmuDriverCounters before = rig.driver.counters();
        SmmuCounters hw = rig.smmu.counters();
        rig.driver.freeDomain(domain);
        assertEquals(List.of(Cmd.asid(asid), Cmd.sync()), ring.since());
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(new SmmuDriverCounters(0, 1, 0, 0, 1, 1, 0, 0, 0), d,
                "one TLBI_NH_ASID, one CMD_SYNC, one doorbell; no TLBI_NH_VA");
        SmmuCounters h = rig.smmu.counters().minus(hw);
        assertEquals(1, h.tlbiNhAsid());
        assertEquals(0, h.tlbiNhVa());
        assertEquals(1, h.cmdSyncs());
        assertEquals(2, h.commands());
        assertEquals(baseline, rig.tables.bytesInUse(), "every table (and the CD) is back");
    }
}

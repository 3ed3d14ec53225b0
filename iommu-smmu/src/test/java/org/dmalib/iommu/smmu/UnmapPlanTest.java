package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The public {@link UnmapPlan} is what the driver really issues: for several sizes, granules,
 * strategies and RIL, a strict unmap on a throw-away machine writes exactly the planned commands
 * to the command ring (read back from RAM as the SMMU decodes them).
 */
class UnmapPlanTest {
    private static final int SID = 7;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (InvalidationStrategy s : InvalidationStrategy.values()) {
            for (boolean ril : new boolean[] {true, false}) {
                // 4 KiB past a 2 MiB boundary, at most 1022 pages: unmapped as 4 KiB runs
                for (long pages : new long[] {1, 2, 100, 511, 512, 1000}) {
                    out.add(Arguments.of(s, ril, 4096, 0x8000_1000L, pages, 0L));
                }
                // 64 KiB past a 512 MiB boundary
                for (long pages : new long[] {1, 33, 2000}) {
                    out.add(Arguments.of(s, ril, 65536, 0x2001_0000L, pages, 0L));
                }
                // other live entries: OPTIMAL then weighs their refills
                out.add(Arguments.of(s, ril, 4096, 0x8000_1000L, 1000L, 300L));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} ril={1} granule={2} pages={4} others={5}")
    @MethodSource("cases")
    void the_plan_is_what_a_strict_unmap_writes_to_the_command_queue(InvalidationStrategy strategy,
            boolean ril, int granule, long iova, long pages, long others) {
        SmmuConfig config = SmmuConfig.gem5().withRangeInvalidation(ril);
        Rig rig = new Rig(config);
        IommuDomain domain = rig.domain(strategy, granule);
        int asid = rig.driver.domainOps(domain).asid();
        rig.driver.attach(domain, SID);
        long size = pages * granule;
        domain.map(iova, Rig.DATA + granule, size, IommuProt.READ_WRITE);
        if (others > 0) {
            // far from the unmapped range, off every block boundary
            domain.map(0x4000_1000L, Rig.DATA + granule, others * granule, IommuProt.READ_WRITE);
        }
        CommandRing ring = new CommandRing(rig.smmu, rig.machine.memory());
        assertEquals(size, domain.unmap(iova, size));
        List<CommandRing.Cmd> issued = ring.since();

        UnmapPlan plan = new UnmapPlan(config, strategy, granule, 48, iova, size, asid, others);
        assertEquals(issued, plan.commands().stream().map(UnmapPlanTest::cmd).toList());
    }

    @Test
    void linux_with_ril_invalidates_1_gib_with_one_range_command() {
        List<SmmuCommand> plan = UnmapPlan.of(SmmuConfig.gem5(), InvalidationStrategy.LINUX, 4096,
                0, 1L << 30).commands();
        assertEquals(List.of(
                "{\"op\":\"TLBI_NH_VA\",\"address\":0,\"num\":0,\"scale\":18,\"tg\":1,\"ttl\":3,"
                        + "\"leaf\":true}",
                "{\"op\":\"CMD_SYNC\"}"), plan.stream().map(SmmuCommand::json).toList());
        assertEquals(1L << 30, plan.get(0).rangeBytes());
    }

    @Test
    void bad_descriptions_are_refused_naming_the_value() {
        SmmuConfig smmu = SmmuConfig.gem5();
        assertEquals("granule=8192 must be 4096, 16384 or 65536 and supported by the SMMU",
                assertThrows(IllegalArgumentException.class, () -> UnmapPlan.of(smmu,
                        InvalidationStrategy.LINUX, 8192, 0, 8192)).getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> UnmapPlan.of(smmu, InvalidationStrategy.LINUX, 4096, 0x800, 4096));
        assertThrows(IllegalArgumentException.class,
                () -> UnmapPlan.of(smmu, InvalidationStrategy.LINUX, 4096, 0, 100));
        assertThrows(IllegalArgumentException.class, () -> new UnmapPlan(smmu,
                InvalidationStrategy.LINUX, 4096, 48, 0, 4096, 1 << 16, 0));
        assertThrows(IllegalArgumentException.class, () -> new UnmapPlan(smmu,
                InvalidationStrategy.LINUX, 4096, 48, 0, 4096, 1, -1));
    }

    @Test
    void a_range_past_the_input_address_size_is_refused_naming_it() {
        SmmuConfig smmu = SmmuConfig.gem5();
        long top = 1L << 39;
        assertEquals(2, new UnmapPlan(smmu, InvalidationStrategy.LINUX, 4096, 39, top - 4096,
                4096, 1, 0).commands().size(), "the last page of the 39-bit space: a TLBI, a sync");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new UnmapPlan(smmu, InvalidationStrategy.LINUX, 4096, 39, top - 4096, 8192,
                        1, 0));
        assertTrue(e.getMessage().contains("size=0x2000"), e.getMessage());
        assertTrue(e.getMessage().contains("ias=39"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> UnmapPlan.of(smmu, InvalidationStrategy.LINUX, 4096, 1L << 48, 4096));
        assertTrue(e.getMessage().contains("iova=0x1000000000000"), e.getMessage());
    }

    @Test
    void the_public_cost_model_is_the_drivers() {
        SmmuCostModel m = SmmuCostModel.gem5();
        assertEquals(30.0, m.commandNanos());
        assertEquals(300.0, m.syncNanos());
        assertEquals(2 * 30.0 + 300.0 + 27.0 + 4 * 30.0, m.nanos(2, 1, 1, 4));
    }

    /** The command as the ring reads it back, for comparing a plan with what was issued. */
    static CommandRing.Cmd cmd(SmmuCommand c) {
        return switch (c.op()) {
            case TLBI_NH_VA -> CommandRing.Cmd.va(c.asid(), c.address(), c.num(), c.scale(), c.tg(),
                    c.ttl(), c.leaf());
            case TLBI_NH_ASID -> CommandRing.Cmd.asid(c.asid());
            case CMD_SYNC -> CommandRing.Cmd.sync();
            case TLBI_NH_ALL -> throw new AssertionError("no TLBI_NH_ALL in an unmap: " + c);
        };
    }

    @Test
    void asids_are_taken_from_0_to_the_smmus_largest_and_otherwise_named() {
        SmmuConfig smmu = SmmuConfig.gem5();
        assertEquals(0, new UnmapPlan(smmu, InvalidationStrategy.LINUX, 4096, 48, 0, 4096, 0, 0).asid());
        assertEquals(0xFFFF, new UnmapPlan(smmu, InvalidationStrategy.LINUX, 4096, 48, 0, 4096,
                0xFFFF, 0).asid());
        assertEquals(0, new UnmapPlan(smmu, InvalidationStrategy.LINUX, 4096, 48, 0, 4096, 1, 0)
                .otherLiveEntries());
        assertEquals("asid=65536 must be 0 to 65535", assertThrows(IllegalArgumentException.class,
                () -> new UnmapPlan(smmu, InvalidationStrategy.LINUX, 4096, 48, 0, 4096, 1 << 16, 0))
                .getMessage());
        assertEquals("asid=-1 must be 0 to 65535", assertThrows(IllegalArgumentException.class,
                () -> new UnmapPlan(smmu, InvalidationStrategy.LINUX, 4096, 48, 0, 4096, -1, 0))
                .getMessage());
    }

    @Test
    void asids_are_bounded_by_an_8_bit_smmus_asid_space() {
        SmmuConfig eightBit = new SmmuConfig(true, true, true, false, false, 48, 8, 8, 19, 19,
                IotlbGeometry.GEM5);
        assertEquals(255, new UnmapPlan(eightBit, InvalidationStrategy.LINUX, 4096, 48, 0, 4096,
                255, 0).asid());
        for (int asid : new int[] {256, -1}) {
            assertEquals("asid=" + asid + " must be 0 to 255", assertThrows(
                    IllegalArgumentException.class, () -> new UnmapPlan(eightBit,
                            InvalidationStrategy.LINUX, 4096, 48, 0, 4096, asid, 0)).getMessage());
        }
    }

    @Test
    void the_command_view_tells_range_commands_and_their_bytes() {
        SmmuCommand range = SmmuCommand.of(new TlbCommand.TlbiNhVa(1, 0, 24, 2, 1, 3, true));
        assertTrue(range.isRange());
        assertEquals(100 * 4096L, range.rangeBytes());
        SmmuCommand page = SmmuCommand.of(TlbCommand.TlbiNhVa.page(1, 0x1000, true));
        assertFalse(page.isRange());
        assertEquals(0, page.rangeBytes());
        assertFalse(SmmuCommand.of(new TlbCommand.TlbiNhAsid(1)).isRange());
        assertEquals(SmmuCommand.Op.TLBI_NH_ALL, SmmuCommand.of(new TlbCommand.TlbiNhAll()).op());
        assertEquals(SmmuCommand.Op.CMD_SYNC, SmmuCommand.of(new TlbCommand.CmdSync()).op());
    }


    @Test
    void a_command_with_a_field_outside_its_range_is_refused_naming_it() {
        SmmuCommand.Op va = SmmuCommand.Op.TLBI_NH_VA;
        Object[][] bad = {
            {"scale=40", new Object[] {va, 0L, 0, 40, 1, 0, true, 1}},
            {"num=32", new Object[] {va, 0L, 32, 0, 1, 0, true, 1}},
            {"tg=4", new Object[] {va, 0L, 0, 0, 4, 0, true, 1}},
            {"ttl=-1", new Object[] {va, 0L, 0, 0, 1, -1, true, 1}},
            {"address=0x800", new Object[] {va, 0x800L, 0, 0, 0, 0, true, 1}},
            {"address=0xfffffffffffff000", new Object[] {va, -4096L, 0, 0, 0, 0, true, 1}},
            {"num=3", new Object[] {va, 0L, 3, 0, 0, 0, true, 1}},
            {"asid=65536", new Object[] {va, 0L, 0, 0, 0, 0, true, 65536}},
            {"asid=-1", new Object[] {SmmuCommand.Op.TLBI_NH_ASID, 0L, 0, 0, 0, 0, false, -1}},
            {"address=0x1000", new Object[] {SmmuCommand.Op.TLBI_NH_ASID, 0x1000L, 0, 0, 0, 0,
                false, 1}},
            {"asid=7", new Object[] {SmmuCommand.Op.CMD_SYNC, 0L, 0, 0, 0, 0, false, 7}},
            {"leaf=true", new Object[] {SmmuCommand.Op.TLBI_NH_ALL, 0L, 0, 0, 0, 0, true, 0}},
        };
        for (Object[] b : bad) {
            Object[] f = (Object[]) b[1];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new SmmuCommand((SmmuCommand.Op) f[0], (long) f[1], (int) f[2],
                            (int) f[3], (int) f[4], (int) f[5], (boolean) f[6], (int) f[7]),
                    b[0].toString());
            assertTrue(e.getMessage().contains(b[0].toString()), e.getMessage());
        }
        assertEquals(1L << 52, new SmmuCommand(va, 0, 31, 31, 3, 3, false, 0xFFFF).rangeBytes(),
                "every field at its largest");
    }

    @Test
    void a_range_command_of_64k_granules_covers_its_bytes() {
        SmmuCommand c = SmmuCommand.of(new TlbCommand.TlbiNhVa(1, 0, 2, 1, 3, 3, true));
        assertEquals(6 * 65536L, c.rangeBytes());
    }
}

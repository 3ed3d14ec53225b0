package org.dmalib.iommu.api.internal.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class CostModelTest {
    private static final long SZ_4K = 1L << 12;
    private static final double EPS = 1e-9;

    @Test
    void the_gem5_defaults_are_the_documented_values() {
        CostModel m = CostModel.GEM5;
        assertEquals(1.0, m.cycleNs(), EPS);
        assertEquals(1, m.microTlbLookupCycles());
        assertEquals(3, m.mainTlbLookupCycles());
        assertEquals(3, m.configCacheLookupCycles());
        assertEquals(4, m.walkCacheLookupCycles());
        assertEquals(8, m.ifcToSmmuCycles());
        assertEquals(8, m.smmuToIfcCycles());
        assertEquals(30.0, m.memoryReadNs(), EPS);
        assertEquals(300.0, m.syncNs(), EPS);
        assertEquals(27.0, m.missNs(), EPS);
        assertEquals(30.0, m.commandNs(), EPS);
    }

    @Test
    void counted_work_becomes_nanoseconds() {
        // 10 commands, 1 sync, 2 misses walking 4 levels each
        assertEquals(10 * 30.0 + 300.0 + 2 * 27.0 + 8 * 30.0,
                CostModel.GEM5.nanos(10, 1, 2, 8), EPS);
        assertThrows(IllegalArgumentException.class, () -> CostModel.GEM5.nanos(-1, 0, 0, 0));
    }

    @Test
    void an_asid_wide_plan_pays_for_its_refills() {
        RefillEstimate refills = new RefillEstimate(100, 4);
        List<TlbCommand> asid = InvalidationPlanner.asidWide(3);
        assertEquals(30.0 + 300.0 + 100 * (27.0 + 4 * 30.0),
                CostModel.GEM5.planNanos(asid, refills), EPS);
        List<TlbCommand> pages = InvalidationPlanner.perPage(
                new InvalidationRequest(3, 0, 4 * SZ_4K, SZ_4K, true, SZ_4K, false));
        assertEquals(4 * 30.0 + 300.0, CostModel.GEM5.planNanos(pages, refills), EPS);
    }

    @Test
    void bad_parameters_are_refused_naming_them() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CostModel(Double.NaN, 1, 3, 3, 4, 8, 8, 30, 300));
        assertEquals("cycleNs=NaN must be finite and not negative", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new CostModel(1, 1, -3, 3, 4, 8, 8, 30, 300));
        assertThrows(IllegalArgumentException.class, () -> new RefillEstimate(-1, 4));
        assertThrows(IllegalArgumentException.class, () -> new RefillEstimate(0, 6));
    }

    @Test
    void every_time_and_cycle_parameter_is_checked_and_zero_is_allowed() {
        CostModel free = new CostModel(0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertEquals(0.0, free.nanos(5, 1, 2, 8), EPS);
        Map<String, Executable> bad = Map.of(
                "memoryReadNs=-1.0", () -> new CostModel(1, 1, 3, 3, 4, 8, 8, -1, 300),
                "syncNs=Infinity", () -> new CostModel(1, 1, 3, 3, 4, 8, 8, 30,
                        Double.POSITIVE_INFINITY),
                "cycleNs=-Infinity", () -> new CostModel(Double.NEGATIVE_INFINITY, 1, 3, 3, 4, 8,
                        8, 30, 300));
        bad.forEach((named, construct) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construct);
            assertTrue(e.getMessage().startsWith(named), e.getMessage());
        });
        int[] good = {1, 3, 3, 4, 8, 8};
        String[] names = {"microTlbLookupCycles", "mainTlbLookupCycles", "configCacheLookupCycles",
            "walkCacheLookupCycles", "ifcToSmmuCycles", "smmuToIfcCycles"};
        for (int i = 0; i < good.length; i++) {
            int[] c = good.clone();
            c[i] = -1;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new CostModel(1, c[0], c[1], c[2], c[3], c[4], c[5], 30, 300),
                    "cycle count " + i);
            assertEquals(names[i] + "=-1 must not be negative", e.getMessage());
        }
    }

    @Test
    void zero_counts_cost_nothing_and_each_negative_count_is_refused() {
        assertEquals(0.0, CostModel.GEM5.nanos(0, 0, 0, 0), EPS);
        long[][] bad = {{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, -1, 0}, {0, 0, 0, -1}};
        for (long[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CostModel.GEM5.nanos(b[0], b[1], b[2], b[3]));
            assertTrue(e.getMessage().contains("=-1"), e.getMessage());
        }
    }

    @Test
    void an_all_asid_plan_pays_for_its_refills_too() {
        RefillEstimate refills = new RefillEstimate(10, 3);
        List<TlbCommand> all = List.of(new TlbCommand.TlbiNhAll(), new TlbCommand.CmdSync());
        assertEquals(30.0 + 300.0 + 10 * (27.0 + 3 * 30.0),
                CostModel.GEM5.planNanos(all, refills), EPS);
    }

    @Test
    void refill_estimates_accept_one_to_five_levels() {
        assertEquals(1, new RefillEstimate(0, 1).pteReadsPerRefill());
        assertEquals(5, new RefillEstimate(0, 5).pteReadsPerRefill());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RefillEstimate(0, 0));
        assertTrue(e.getMessage().contains("pteReadsPerRefill=0"), e.getMessage());
    }
}

package org.dmalib.iommu.api.internal.tlb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

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
}

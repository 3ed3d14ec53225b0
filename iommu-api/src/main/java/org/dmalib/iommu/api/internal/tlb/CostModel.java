package org.dmalib.iommu.api.internal.tlb;

import java.util.List;

/**
 * Turns counted work (commands, syncs, translation misses, page-table reads) into modelled
 * nanoseconds. Every parameter names its source; the values are reported, never tuned to make a
 * result look good. Use {@link #GEM5} unless a study says otherwise and names its own sources.
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param cycleNs nanoseconds per SMMU cycle. Source: gem5's SMMUv3 is a ClockedObject in the
 *     system clock domain, whose default is 1 GHz ({@code configs/common/Options.py},
 *     {@code --sys-clock}); so 1.0
 * @param microTlbLookupCycles micro-TLB lookup. Source: gem5 {@code SMMUv3DeviceInterface.utlb_lat}
 *     = 1 cycle (reference smmu-models.md §4.1)
 * @param mainTlbLookupCycles main TLB lookup. Source: gem5 {@code SMMUv3DeviceInterface.tlb_lat}
 *     = 3 cycles (smmu-models.md §4.1)
 * @param configCacheLookupCycles STE/CD cache lookup. Source: gem5 {@code SMMUv3.cfg_lat} = 3
 *     cycles (smmu-models.md §4.1)
 * @param walkCacheLookupCycles walk-cache lookup. Source: gem5 {@code SMMUv3.walk_lat} = 4 cycles
 *     (smmu-models.md §4.1)
 * @param ifcToSmmuCycles device interface to SMMU. Source: gem5 {@code SMMUv3.ifc_smmu_lat} = 8
 *     cycles (smmu-models.md §4.1)
 * @param smmuToIfcCycles SMMU to device interface. Source: gem5 {@code SMMUv3.smmu_ifc_lat} = 8
 *     cycles (smmu-models.md §4.1)
 * @param memoryReadNs one memory read: a 16-byte command fetch (gem5 fetches every command with
 *     one timed read, smmu-models.md §4.2; 16 B is one beat of the 16-byte port) or one 8-byte
 *     PTE read of a walk. Source: gem5 {@code SimpleMemory.latency} default = 30 ns
 *     ({@code src/mem/SimpleMemory.py})
 * @param syncNs one CMD_SYNC round trip, issue to completion seen by the CPU. Source: Linux
 *     {@code dma_map_benchmark} on an SMMUv3 server (Qinxin Xia, 2025-05; reference
 *     linux-dma-iommu.md §9 row 14): unmap_single 1.3 µs minus map_single 1.0 µs = 300 ns, the
 *     invalidation share of a one-page unmap (one TLBI and one CMD_SYNC), all attributed to the
 *     sync; so an upper bound
 */
public record CostModel(
        double cycleNs,
        int microTlbLookupCycles,
        int mainTlbLookupCycles,
        int configCacheLookupCycles,
        int walkCacheLookupCycles,
        int ifcToSmmuCycles,
        int smmuToIfcCycles,
        double memoryReadNs,
        double syncNs) {

    /** The parameters with the values and sources documented on the components. */
    public static final CostModel GEM5 = new CostModel(1.0, 1, 3, 3, 4, 8, 8, 30.0, 300.0);

    /**
     * Validates the parameters.
     *
     * @param cycleNs nanoseconds per SMMU cycle: finite, not negative
     * @param microTlbLookupCycles micro-TLB lookup, in cycles: not negative
     * @param mainTlbLookupCycles main TLB lookup, in cycles: not negative
     * @param configCacheLookupCycles STE/CD cache lookup, in cycles: not negative
     * @param walkCacheLookupCycles walk-cache lookup, in cycles: not negative
     * @param ifcToSmmuCycles device interface to SMMU, in cycles: not negative
     * @param smmuToIfcCycles SMMU to device interface, in cycles: not negative
     * @param memoryReadNs one memory read (a command fetch or a PTE read), in nanoseconds:
     *     finite, not negative
     * @param syncNs one CMD_SYNC round trip, in nanoseconds: finite, not negative
     * @throws IllegalArgumentException naming a negative, NaN or infinite value
     */
    public CostModel {
        checkTime("cycleNs", cycleNs);
        checkTime("memoryReadNs", memoryReadNs);
        checkTime("syncNs", syncNs);
        checkCycles("microTlbLookupCycles", microTlbLookupCycles);
        checkCycles("mainTlbLookupCycles", mainTlbLookupCycles);
        checkCycles("configCacheLookupCycles", configCacheLookupCycles);
        checkCycles("walkCacheLookupCycles", walkCacheLookupCycles);
        checkCycles("ifcToSmmuCycles", ifcToSmmuCycles);
        checkCycles("smmuToIfcCycles", smmuToIfcCycles);
    }

    /** {@return the modelled cost of one command, sync excluded: its fetch} */
    public double commandNs() {
        return memoryReadNs;
    }

    /**
     * {@return the fixed part of one translation miss, page-table reads excluded: the trip from
     * the device interface through its micro-TLB and main TLB, the config cache and the walk
     * cache, and back}
     */
    public double missNs() {
        return cycleNs * (ifcToSmmuCycles + microTlbLookupCycles + mainTlbLookupCycles
                + configCacheLookupCycles + walkCacheLookupCycles + smmuToIfcCycles);
    }

    /**
     * Returns the modelled time of counted work.
     *
     * @param commands invalidation (and other) commands, syncs excluded: not negative
     * @param syncs CMD_SYNCs waited for: not negative
     * @param misses translation misses (refills): not negative
     * @param pteReads page-table entries read by the walks: not negative
     * @return nanoseconds
     * @throws IllegalArgumentException naming a negative count
     */
    public double nanos(long commands, long syncs, long misses, long pteReads) {
        if (commands < 0 || syncs < 0 || misses < 0 || pteReads < 0) {
            throw new IllegalArgumentException(String.format(
                    "counts commands=%d syncs=%d misses=%d pteReads=%d must not be negative",
                    commands, syncs, misses, pteReads));
        }
        return commands * commandNs() + syncs * syncNs + misses * missNs() + pteReads * memoryReadNs;
    }

    /**
     * Returns the modelled time of a plan: its commands and syncs, plus, if it invalidates a whole
     * ASID (or everything), the refills of {@code refills}.
     *
     * @param plan a plan from {@link InvalidationPlanner}
     * @param refills the live entries such a plan would remove
     * @return nanoseconds
     */
    public double planNanos(List<TlbCommand> plan, RefillEstimate refills) {
        long syncs = 0;
        boolean wide = false;
        for (TlbCommand c : plan) {
            if (c instanceof TlbCommand.CmdSync) {
                syncs++;
            } else if (c instanceof TlbCommand.TlbiNhAsid || c instanceof TlbCommand.TlbiNhAll) {
                wide = true;
            }
        }
        long misses = wide ? refills.liveEntriesOutsideRange() : 0;
        return nanos(plan.size() - syncs, syncs, misses,
                Math.multiplyExact(misses, refills.pteReadsPerRefill()));
    }

    // by name and value: a compact constructor's fields are not assigned yet, so this record's
    // toString would print zeros
    private static void checkCycles(String name, int cycles) {
        if (cycles < 0) {
            throw new IllegalArgumentException(name + "=" + cycles + " must not be negative");
        }
    }

    private static void checkTime(String name, double ns) {
        if (!(ns >= 0) || Double.isInfinite(ns)) {
            throw new IllegalArgumentException(name + "=" + ns + " must be finite and not negative");
        }
    }
}

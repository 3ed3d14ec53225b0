package org.dmalib.bench;

import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;

/**
 * The heap item of issue 5: retained heap per mapped 4K page of a fully mapped domain, measured
 * with {@link Runtime} after full GCs, against the 8 bytes of the PTE itself.
 */
final class HeapFootprint {
    private HeapFootprint() {}

    /** Retained bytes, pages mapped and the heap limit of one measurement. */
    record Result(long gib, long retainedBytes, long pages, long maxHeap) {
        double bytesPerPage() {
            return (double) retainedBytes / pages;
        }
    }

    static Result measure(int gib) {
        BenchRig rig = new BenchRig(SmmuConfig.gem5());
        IommuDomain domain = rig.attachedDomain(InvalidationStrategy.OPTIMAL);
        long before = usedAfterGc();
        BenchRig.mapAll4k(domain, gib * BenchRig.GIB);
        long after = usedAfterGc();
        // keep both alive until after the measurement
        if (domain.iovaToPhys(0).isEmpty() || rig.driver.counters() == null) {
            throw new IllegalStateException("page 0 not mapped");
        }
        return new Result(gib, after - before, gib * BenchRig.GIB / BenchRig.GRANULE,
                Runtime.getRuntime().maxMemory());
    }

    @SuppressWarnings("JavaLangGc") // the measurement is of retained heap, after collection
    private static long usedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        // the least of four full collections: a collection can leave garbage a later one frees
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }
}

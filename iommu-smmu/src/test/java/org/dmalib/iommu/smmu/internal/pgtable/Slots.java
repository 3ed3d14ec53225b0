package org.dmalib.iommu.smmu.internal.pgtable;

import org.dmalib.hw.Cpu;

/** Finds PTE addresses by walking a table through a CPU, for tests that inspect raw PTEs. */
final class Slots {
    private Slots() {}

    /**
     * Returns the address of the level-{@code level} PTE for {@code iova}; every table above
     * must exist.
     */
    static long at(ArmLpaePageTable table, Cpu cpu, long iova, int level) {
        LpaeConfig c = table.config();
        long t = table.ttbr();
        for (int l = c.startLevel(); ; l++) {
            long slot = t + 8L * c.index(iova, l);
            if (l == level) {
                return slot;
            }
            long pte = cpu.loadLong(slot);
            if (!LpaePte.isTable(pte, l)) {
                throw new AssertionError(String.format("no table at level %d for iova=0x%x", l, iova));
            }
            t = LpaePte.toPaddr(pte);
        }
    }
}

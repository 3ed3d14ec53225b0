package org.dmalib.hw.smmu;

import org.dmalib.hw.Cpu;

/**
 * A hand-rolled VMSAv8-64 stage-1 table builder for tests: tables come from the rig's pool and
 * descriptors are encoded bit by bit (reference linux-dma-iommu.md sections 4.2-4.3). Writes go
 * to RAM unless {@link #via(Cpu)} routes them through a CPU's write-back cache.
 */
final class PageTables {
    /** Leaf attributes Linux sets for a read/write DMA mapping: AF and AP[1] (unprivileged). */
    static final long RW = DescriptorLayout.AF | DescriptorLayout.AP_UNPRIV;
    /** Read-only: AP[2] too. */
    static final long RO = RW | DescriptorLayout.AP_RDONLY;

    final int granuleShift;
    final int ias;
    final long root;
    private final SmmuRig rig;
    private final int bitsPerLevel;
    private final int startLevel;
    private Cpu cpu;

    PageTables(SmmuRig rig, int granuleShift, int ias) {
        this.rig = rig;
        this.granuleShift = granuleShift;
        this.ias = ias;
        this.bitsPerLevel = granuleShift - 3;
        this.startLevel = 4 - (ias - granuleShift + bitsPerLevel - 1) / bitsPerLevel;
        this.root = rig.alloc(1L << granuleShift);
    }

    /** Routes later descriptor writes through {@code cpu}'s cache (null: straight to RAM). */
    PageTables via(Cpu writer) {
        this.cpu = writer;
        return this;
    }

    int levelShift(int level) {
        return (4 - level) * bitsPerLevel + 3;
    }

    /** Maps the page of the granule at {@code va} to {@code pa}. */
    long mapPage(long va, long pa, long attrs) {
        return map(va, pa, 3, attrs);
    }

    /**
     * Maps the block or page at {@code level} containing {@code va} to {@code pa}, creating
     * tables on the way; returns the address of the leaf descriptor.
     */
    long map(long va, long pa, int level, long attrs) {
        long slot = slotFor(va, level);
        int type = level == 3 ? DescriptorLayout.TYPE_TABLE_OR_PAGE : DescriptorLayout.TYPE_BLOCK;
        write(slot, (pa & DescriptorLayout.ADDR) | attrs | type);
        return slot;
    }

    /** Returns the address of the descriptor at {@code level} for {@code va}, building tables. */
    long slotFor(long va, int level) {
        long table = root;
        for (int l = startLevel; ; l++) {
            int shift = levelShift(l);
            int bits = l == startLevel ? ias - shift : bitsPerLevel;
            long slot = table + ((va >>> shift) & ((1L << bits) - 1)) * 8;
            if (l == level) {
                return slot;
            }
            long desc = cpu != null ? cpu.loadLong(slot) : rig.ram.readLong(slot); // writer's view
            if ((desc & 3) != DescriptorLayout.TYPE_TABLE_OR_PAGE) {
                long next = rig.alloc(1L << granuleShift);
                desc = next | DescriptorLayout.TYPE_TABLE_OR_PAGE;
                write(slot, desc);
            }
            table = desc & DescriptorLayout.ADDR;
        }
    }

    void write(long slot, long desc) {
        if (cpu != null) {
            cpu.storeLong(slot, desc);
        } else {
            rig.ram.writeLong(slot, desc);
        }
    }

    /** Clears the leaf at {@code level} for {@code va} (an unmap without invalidation). */
    void clear(long va, int level) {
        write(slotFor(va, level), 0);
    }
}

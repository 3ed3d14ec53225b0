package org.dmalib.hw.internal.smmu;

import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.smmu.DescriptorLayout;
import org.dmalib.hw.smmu.Fields;

/**
 * The stage-1 VMSAv8-64 table walker: reads descriptors from simulated RAM (through the
 * coherence fabric when the walk is coherent, else from RAM only, so a descriptor still dirty in
 * a CPU cache is invisible), starting below the first level when the walk cache holds a table
 * descriptor for the address.
 *
 * <p>Descriptor rules (reference linux-dma-iommu.md section 4.3): bit 0 clear is invalid; at
 * levels 0-2 type 0b11 is a table and 0b01 a block (allowed at levels 1-2 with 4 KiB granules,
 * level 2 with 16/64 KiB); at level 3 only 0b11 (page) is valid. Output and table addresses are
 * bits 47:granule. AF clear faults unless CD.AFFD; AP[2] makes the page read-only, AP[1] allows
 * unprivileged access; APTable bits of table descriptors restrict everything below unless
 * CD.HAD0.
 *
 * <p>Not thread-safe: the owning SMMU serialises access.
 */
final class Walker {
    private static final long NEXT_TABLE_MASK = ~0xfffL; // walk-cache value: table | APTable
    private static final int APTABLE_SHIFT = 61; // APTable[1:0] = descriptor bits 62:61

    private final SmmuBus bus;
    private final Iotlb iotlb;
    private final SmmuStats stats;
    // the descriptor address of the last walk that ended in an external abort (its event's
    // FETCH_ADDR); meaningful only right after such a walk
    private long abortAddress;

    Walker(SmmuBus bus, Iotlb iotlb, SmmuStats stats) {
        this.bus = bus;
        this.iotlb = iotlb;
        this.stats = stats;
    }

    /**
     * Walks the tables of {@code cd} (one half of a CD) for {@code va}, which must be in that
     * half's region ({@link CdState#select} returned {@code cd}): the start-level index takes
     * bits {@code ias - 1} down, so TTB0 and TTB1 addresses index the same way.
     *
     * @return the packed {@link Leaf}, or minus the event ID of the fault; after a walk external
     *     abort, {@link #abortAddress} names the descriptor that could not be read
     */
    long walk(CdState cd, long va) {
        stats.walks++;
        int g = cd.granuleShift();
        int bitsPerLevel = g - 3;
        int start = cd.startLevel();
        int level = start;
        long table = cd.ttb();
        long apTable = 0; // bit 0: no unprivileged access below, bit 1: read-only below
        if (iotlb.hasWalkCache()) {
            boolean hit = false;
            for (int l = 2; l >= start && !hit; l--) { // deepest table first: fewest reads
                long v = iotlb.walkLookup(l, cd.asid(), va, Geometry.levelShift(l, bitsPerLevel));
                if (v != TlbArray.MISS) {
                    table = v & NEXT_TABLE_MASK;
                    apTable = v & 3;
                    level = l + 1;
                    hit = true;
                }
            }
            if (hit) {
                stats.walkCacheHits++;
            } else {
                stats.walkCacheMisses++;
            }
        }
        long granuleMask = (1L << g) - 1;
        while (true) {
            int shift = Geometry.levelShift(level, bitsPerLevel);
            int indexBits = level == start ? cd.ias() - shift : bitsPerLevel;
            long addr = table + ((va >>> shift) & ((1L << indexBits) - 1)) * DescriptorLayout.BYTES;
            if (!bus.inRange(addr, DescriptorLayout.BYTES)) {
                abortAddress = addr;
                return -SmmuEvent.Kind.WALK_EXTERNAL_ABORT.id();
            }
            long desc = bus.readLong(addr, cd.walkCoherent());
            stats.pteReads++;
            int type = (int) Fields.get(DescriptorLayout.TYPE, desc);
            if ((type & 1) == 0) {
                return -SmmuEvent.Kind.TRANSLATION_FAULT.id();
            }
            if (level < 3 && type == DescriptorLayout.TYPE_TABLE_OR_PAGE) {
                long next = desc & DescriptorLayout.ADDR & ~granuleMask;
                if (next >>> cd.oas() != 0) {
                    return -SmmuEvent.Kind.ADDRESS_SIZE_FAULT.id();
                }
                if (!cd.hierarchicalDisabled()) {
                    apTable |= (desc >>> APTABLE_SHIFT) & 3;
                }
                iotlb.walkFill(level, cd.asid(), va, shift, next | apTable);
                table = next;
                level++;
                continue;
            }
            if (level == 3 ? type != DescriptorLayout.TYPE_TABLE_OR_PAGE
                    : level < Geometry.firstBlockLevel(g)) {
                return -SmmuEvent.Kind.TRANSLATION_FAULT.id(); // reserved page type or block level
            }
            long out = desc & DescriptorLayout.ADDR & ~((1L << shift) - 1);
            if ((out | ((1L << shift) - 1)) >>> cd.oas() != 0) {
                return -SmmuEvent.Kind.ADDRESS_SIZE_FAULT.id();
            }
            if (!Fields.test(DescriptorLayout.AF, desc) && !cd.accessFlagFaultDisabled()) {
                return -SmmuEvent.Kind.ACCESS_FAULT.id();
            }
            boolean writable = !Fields.test(DescriptorLayout.AP_RDONLY, desc) && (apTable & 2) == 0;
            boolean unpriv = Fields.test(DescriptorLayout.AP_UNPRIV, desc) && (apTable & 1) == 0;
            return Leaf.pack(out, shift, level, writable, unpriv);
        }
    }

    /** Returns the descriptor address the last walk external abort could not read. */
    long abortAddress() {
        return abortAddress;
    }
}

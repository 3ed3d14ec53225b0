package org.dmalib.iommu.smmu;

import java.util.OptionalLong;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.smmu.DescriptorLayout;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.FlushOps;

/**
 * Test-only stand-in for {@code ArmLpaePageTable} until the page-table branch is merged: the same
 * contract (reference §4.4, §4.5), unoptimised, with descriptors written straight to RAM (valid
 * for coherent and non-coherent walks alike). Tables are installed by compare-and-set, so
 * concurrent maps of disjoint ranges are safe.
 */
final class FakeLpaeTable implements DomainPageTable {
    private final PhysicalMemory ram;
    private final TableMemory memory;
    private final FlushOps flush;
    private final int g; // granule shift
    private final int bpl; // bits per level
    private final int ias;
    private final int startLevel;
    private final long pgd;
    private final int pgdBytes;
    private int tables;

    static DomainPageTable allocate(int granule, int ias, int oas, boolean coherentWalk,
            org.dmalib.hw.Cpu cpu, TableMemory memory, FlushOps flushOps) {
        return new FakeLpaeTable(granule, ias, memory, flushOps);
    }

    private FakeLpaeTable(int granule, int ias, TableMemory memory, FlushOps flush) {
        this.ram = memory.ram();
        this.memory = memory;
        this.flush = flush;
        this.g = Integer.numberOfTrailingZeros(granule);
        this.bpl = g - 3;
        this.ias = ias;
        this.startLevel = 4 - (ias - g + bpl - 1) / bpl;
        this.pgdBytes = Math.max(64, (int) (8L << (ias - shift(startLevel))));
        this.pgd = newTable(pgdBytes);
    }

    private int shift(int level) {
        return (4 - level) * bpl + 3;
    }

    private synchronized long newTable(int bytes) {
        long t = memory.allocate(bytes);
        ram.fill(t, bytes, (byte) 0);
        tables++;
        return t;
    }

    private synchronized void freeTable(long t, int bytes) {
        memory.free(t, bytes);
        tables--;
    }

    private long slot(long table, int level, long iova) {
        int bits = level == startLevel ? ias - shift(level) : bpl;
        return table + ((iova >>> shift(level)) & ((1L << bits) - 1)) * 8;
    }

    private int levelOf(long pgsize) {
        for (int l = 1; l <= 3; l++) {
            if (1L << shift(l) == pgsize) {
                return l;
            }
        }
        throw new IllegalArgumentException("pgsize=0x" + Long.toHexString(pgsize));
    }

    private static boolean isTable(long pte, int level) {
        return level < 3 && (pte & 3) == DescriptorLayout.TYPE_TABLE_OR_PAGE;
    }

    @Override
    public PageSizes pageSizes() {
        return switch (g) {
            case 12 -> PageSizes.of(1L << 12, 1L << 21, 1L << 30);
            case 14 -> PageSizes.of(1L << 14, 1L << 25);
            default -> PageSizes.of(1L << 16, 1L << 29);
        };
    }

    @Override
    public int levels() {
        return 4 - startLevel;
    }

    @Override
    public int t0sz() {
        return 64 - ias;
    }

    @Override
    public long ttbr() {
        return pgd;
    }

    @Override
    public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
        int target = levelOf(pgsize);
        for (long i = 0; i < pgcount; i++) {
            long va = iova + i * pgsize;
            long table = pgd;
            for (int l = startLevel; l < target; l++) {
                long s = slot(table, l, va);
                long pte = ram.readLong(s);
                if (pte == 0) {
                    long next = newTable(1 << g);
                    long desc = next | DescriptorLayout.TYPE_TABLE_OR_PAGE;
                    if (ram.compareAndSetLong(s, 0, desc)) {
                        table = next;
                        continue;
                    }
                    freeTable(next, 1 << g); // another thread installed one first
                    pte = ram.readLong(s);
                }
                if (isTable(pte, l)) {
                    table = pte & DescriptorLayout.ADDR;
                } else {
                    throw new AlreadyMappedException(va);
                }
            }
            long s = slot(table, target, va);
            if (ram.readLong(s) != 0) {
                throw new AlreadyMappedException(va);
            }
            long attrs = DescriptorLayout.AF | DescriptorLayout.AP_UNPRIV
                    | (prot.write() ? 0 : DescriptorLayout.AP_RDONLY)
                    | (target == 3 ? DescriptorLayout.TYPE_TABLE_OR_PAGE : DescriptorLayout.TYPE_BLOCK);
            ram.writeLong(s, ((paddr + i * pgsize) & DescriptorLayout.ADDR) | attrs);
        }
        return pgsize * pgcount;
    }

    @Override
    public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
        int target = levelOf(pgsize);
        long done = 0;
        for (long i = 0; i < pgcount; i++) {
            long va = iova + i * pgsize;
            long table = pgd;
            for (int l = startLevel; l < target; l++) {
                long pte = ram.readLong(slot(table, l, va));
                if (!isTable(pte, l)) {
                    return done; // hole, or inside a bigger block
                }
                table = pte & DescriptorLayout.ADDR;
            }
            long s = slot(table, target, va);
            long pte = ram.readLong(s);
            if (pte == 0) {
                return done;
            }
            ram.writeLong(s, 0);
            if (isTable(pte, target)) {
                flush.flushWalk(va, pgsize, 1L << g); // before the tables are freed
                freeTree(pte & DescriptorLayout.ADDR, target + 1);
            }
            if (!gather.isQueued()) {
                flush.addPage(gather, va, pgsize);
            }
            done += pgsize;
        }
        return done;
    }

    private void freeTree(long table, int level) {
        if (level < 3) {
            for (int i = 0; i < 1 << bpl; i++) {
                long pte = ram.readLong(table + 8L * i);
                if (isTable(pte, level)) {
                    freeTree(pte & DescriptorLayout.ADDR, level + 1);
                }
            }
        }
        freeTable(table, 1 << g);
    }

    @Override
    public void checkUnmap(long iova, long size) {
        for (long edge : new long[] {iova, iova + size - 1}) {
            long table = pgd;
            for (int l = startLevel; l <= 3; l++) {
                long pte = ram.readLong(slot(table, l, edge));
                if (pte == 0) {
                    break;
                }
                if (!isTable(pte, l)) {
                    long bs = 1L << shift(l);
                    long blk = edge & -bs;
                    if (blk < iova || blk + bs - 1 > iova + size - 1) {
                        throw new PartialUnmapException(iova, size, blk, bs);
                    }
                    break;
                }
                table = pte & DescriptorLayout.ADDR;
            }
        }
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
        long table = pgd;
        for (int l = startLevel; l <= 3; l++) {
            long pte = ram.readLong(slot(table, l, iova));
            if (pte == 0) {
                return OptionalLong.empty();
            }
            if (!isTable(pte, l)) {
                long bs = 1L << shift(l);
                return OptionalLong.of((pte & DescriptorLayout.ADDR & -bs) | (iova & (bs - 1)));
            }
            table = pte & DescriptorLayout.ADDR;
        }
        return OptionalLong.empty();
    }

    @Override
    public void free() {
        for (int i = 0; i < pgdBytes / 8; i++) {
            long pte = ram.readLong(pgd + 8L * i);
            if (isTable(pte, startLevel)) {
                freeTree(pte & DescriptorLayout.ADDR, startLevel + 1);
            }
        }
        freeTable(pgd, pgdBytes);
    }

    @Override
    public synchronized int tablesInUse() {
        return tables;
    }
}

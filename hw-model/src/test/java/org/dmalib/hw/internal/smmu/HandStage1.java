package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.smmu.CdLayout;
import org.dmalib.hw.smmu.DescriptorLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SteLayout;

/**
 * Stage 1 for one stream, programmed by hand the way a driver would, for tests that build an
 * {@link SmmuDevice} on a fabric of their own: a linear stream table, a 16-entry command queue,
 * one context descriptor and a 4-level 4 KiB table (one table per level) mapping {@link #VA}
 * onwards to {@link #DATA} onwards.
 */
final class HandStage1 {
    static final int SID = 5;
    static final int ASID = 7;
    static final long STRTAB = 0x10_0000;
    static final long CMDQ = 0x20_0000;
    static final int CMDQ_LOG2 = 4; // 16 entries
    static final long CD = 0x22_0000;
    static final long TABLES = 0x40_0000; // levels 0 to 3, one 4 KiB table each
    static final long LEAF = TABLES + 0x3000; // the level-3 entry of VA
    static final long DATA = 0x100_0000;
    static final long VA = 0x4000_0000L; // level-0 index 0, level-1 index 1
    static final int PAGE = 4096;

    private HandStage1() {}

    /**
     * Writes the tables, the CD and the STE into {@code ram}, then programs and enables
     * {@code smmu}.
     *
     * @param pages how many pages from VA map to DATA, 1 to 512
     * @param cr1 the CR1 value: 0 for non-cacheable tables and queues, 0xd75 for write-back ones
     *     (command reads then snoop the CPU caches)
     */
    static void program(PhysicalMemory ram, SmmuDevice smmu, int pages, int cr1) {
        long table = DescriptorLayout.TYPE_TABLE_OR_PAGE;
        ram.writeLong(TABLES, (TABLES + 0x1000) | table);
        ram.writeLong(TABLES + 0x1000 + 8, (TABLES + 0x2000) | table);
        ram.writeLong(TABLES + 0x2000, (TABLES + 0x3000) | table);
        for (int i = 0; i < pages; i++) {
            ram.writeLong(LEAF + 8L * i, (DATA + (long) PAGE * i) | DescriptorLayout.AF
                    | DescriptorLayout.AP_UNPRIV | DescriptorLayout.TYPE_TABLE_OR_PAGE);
        }
        ram.writeLong(CD, CdLayout.V | CdLayout.AA64 | CdLayout.R | CdLayout.A
                | Fields.prep(CdLayout.ASID, ASID) | Fields.prep(CdLayout.T0SZ, 16)
                | Fields.prep(CdLayout.TG0, CdLayout.TG0_4K) | Fields.prep(CdLayout.IPS, 5)
                | CdLayout.EPD1);
        ram.writeLong(CD + 8, TABLES & CdLayout.TTB0);
        ram.writeLong(STRTAB + SID * (long) SteLayout.BYTES, SteLayout.V
                | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS) | CD);
        smmu.write64(STRTAB_BASE, STRTAB);
        smmu.write32(STRTAB_BASE_CFG, 8);
        smmu.write64(CMDQ_BASE, CMDQ | CMDQ_LOG2);
        smmu.write32(CR1, cr1);
        smmu.write32(CR0, (int) (CR0_SMMUEN | CR0_CMDQEN));
    }
}

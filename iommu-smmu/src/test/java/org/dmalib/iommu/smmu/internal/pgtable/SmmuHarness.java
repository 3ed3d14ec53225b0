package org.dmalib.iommu.smmu.internal.pgtable;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.Machine;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.smmu.CdLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.hw.smmu.SteLayout;

/**
 * The smallest SMMU set-up that lets a device walk a page table built here: a linear stream
 * table and one stage-1 context descriptor per stream, written straight to RAM (as through a
 * non-cacheable mapping), and SMMUEN; no queues (the SMMU model's own tests use the same
 * encodings, after Linux's {@code arm_smmu_make_s1_cd}).
 */
final class SmmuHarness {
    /** Stream table: 16 STEs of 64 bytes at 8 MiB, below the rig's table region. */
    static final long STRTAB = 8 * Rig.MIB;
    static final int STRTAB_LOG2 = 4;
    /** Context descriptors: one per stream ID, after the stream table. */
    static final long CDS = STRTAB + (SteLayout.BYTES << STRTAB_LOG2);

    final Smmu smmu;
    private final Machine machine;
    private final PhysicalMemory ram;

    SmmuHarness(Machine machine) {
        this.machine = machine;
        this.ram = machine.memory();
        this.smmu = machine.addSmmu(SmmuConfig.gem5());
        SmmuProgramming regs = SmmuProgramming.of(smmu);
        regs.writeRegister64(SmmuRegisters.STRTAB_BASE, STRTAB);
        regs.writeRegister(SmmuRegisters.STRTAB_BASE_CFG, STRTAB_LOG2);
        regs.writeRegister(SmmuRegisters.CR0, (int) SmmuRegisters.CR0_SMMUEN);
    }

    /**
     * Points stream {@code sid} at {@code table} with {@code asid} and attaches a non-coherent
     * master there. The walk is cacheable (coherent, on this SMMU with COHACC) iff the table's
     * config says its walker is coherent; else the walker reads RAM only.
     */
    DmaPort attach(int sid, int asid, ArmLpaePageTable table) {
        LpaeConfig c = table.config();
        int tg0 = switch (c.granule()) {
            case 4096 -> CdLayout.TG0_4K;
            case 16384 -> CdLayout.TG0_16K;
            default -> CdLayout.TG0_64K;
        };
        int walkCache = c.coherentWalk() ? CdLayout.CACHE_WBWA : 0;
        long cd0 = CdLayout.V | CdLayout.AA64 | CdLayout.R | CdLayout.A | CdLayout.ASET
                | CdLayout.EPD1
                | Fields.prep(CdLayout.ASID, asid)
                | Fields.prep(CdLayout.T0SZ, c.t0sz())
                | Fields.prep(CdLayout.TG0, tg0)
                | Fields.prep(CdLayout.IRGN0, walkCache)
                | Fields.prep(CdLayout.ORGN0, walkCache)
                | Fields.prep(CdLayout.SH0, c.coherentWalk() ? CdLayout.SH_ISH : CdLayout.SH_OSH)
                | Fields.prep(CdLayout.IPS, SmmuRegisters.addressBitsField(c.oas()));
        long cd = CDS + (long) sid * CdLayout.BYTES;
        ram.writeLong(cd, cd0);
        ram.writeLong(cd + 8, table.ttbr() & CdLayout.TTB0);
        long ste = STRTAB + (long) sid * SteLayout.BYTES;
        ram.writeLong(ste, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                | (cd & SteLayout.S1_CONTEXT_PTR));
        ram.writeLong(ste + 8, 0);
        return machine.attach(sid, Coherency.NON_COHERENT, smmu);
    }
}

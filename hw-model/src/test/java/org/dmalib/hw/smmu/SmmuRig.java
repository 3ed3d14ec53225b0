package org.dmalib.hw.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;

/**
 * A machine with one SMMU, programmed by hand the way a driver would: linear stream table,
 * command and event queues in RAM, STEs and CDs in the architected encodings. Structures are
 * written straight to RAM (as through a non-cacheable mapping) unless a test says otherwise.
 */
final class SmmuRig {
    static final long STRTAB = 0x10_0000;
    static final int STRTAB_LOG2 = 8; // 256 STEs
    static final long CMDQ = 0x20_0000;
    static final int CMDQ_LOG2 = 4; // 16 entries: small, so tests wrap it
    static final long EVTQ = 0x21_0000;
    static final int EVTQ_LOG2 = 3; // 8 entries
    static final long CDS = 0x22_0000;
    static final long POOL = 0x40_0000; // page tables are allocated from here
    static final long DATA = 0x100_0000;

    final Machine machine = Machine.create(MachineConfig.of(64L << 20));
    final PhysicalMemory ram = machine.memory();
    final Smmu smmu;
    final SmmuProgramming regs;
    private long pool = POOL;
    private long prod;
    private long evtCons;

    /** {@link SmmuConfig#gem5()} with 8-bit ASIDs (SMMU_IDR0.ASID16 clear). */
    static SmmuConfig gem5With8BitAsids() {
        SmmuConfig g = SmmuConfig.gem5();
        return new SmmuConfig(g.rangeInvalidation(), g.coherentWalk(), g.granule4K(),
                g.granule16K(), g.granule64K(), g.outputAddressBits(), 8, g.streamIdBits(),
                g.commandQueueLog2(), g.eventQueueLog2(), g.iotlb());
    }

    SmmuRig(SmmuConfig config) {
        smmu = machine.addSmmu(config);
        regs = SmmuProgramming.of(smmu);
    }

    /** Programs the stream table and queues and enables the SMMU, as a driver's reset does. */
    SmmuRig enable() {
        regs.writeRegister64(STRTAB_BASE, STRTAB);
        regs.writeRegister(STRTAB_BASE_CFG, STRTAB_LOG2);
        regs.writeRegister64(CMDQ_BASE, CMDQ | CMDQ_LOG2);
        regs.writeRegister(CMDQ_PROD, 0);
        regs.writeRegister(CMDQ_CONS, 0);
        regs.writeRegister64(EVENTQ_BASE, EVTQ | EVTQ_LOG2);
        regs.writeRegister(EVENTQ_PROD, 0);
        regs.writeRegister(EVENTQ_CONS, 0);
        // Linux arm_smmu_device_reset: tables and queues inner/outer WB, inner shareable
        regs.writeRegister(CR1, 0xd75); // TABLE_SH=3 OC=1 IC=1, QUEUE_SH=3 OC=1 IC=1
        regs.writeRegister(CR2, (int) (CR2_PTM | CR2_RECINVSID)); // record C_BAD_STREAMID
        regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN));
        return this;
    }

    long alloc(long bytes) {
        long a = (pool + bytes - 1) & -bytes; // naturally aligned
        pool = a + bytes;
        return a;
    }

    // -- stream table and context descriptors --

    void writeSte(int sid, long d0, long d1) {
        long a = STRTAB + (long) sid * SteLayout.BYTES;
        ram.writeLong(a, d0);
        ram.writeLong(a + 8, d1);
    }

    void bypass(int sid) {
        writeSte(sid, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_BYPASS), 0);
    }

    void abort(int sid) {
        writeSte(sid, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_ABORT), 0);
    }

    /** Points {@code sid} at a stage-1 CD for {@code tables} with {@code asid}. */
    void translate(int sid, int asid, PageTables tables) {
        writeCd(sid, cd0(asid, tables.granuleShift, tables.ias, true), tables.root);
        writeSte(sid, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                        | (cdAddress(sid) & SteLayout.S1_CONTEXT_PTR),
                Fields.prep(SteLayout.S1CIR, SteLayout.CACHE_WBRA)
                        | Fields.prep(SteLayout.S1COR, SteLayout.CACHE_WBRA)
                        | Fields.prep(SteLayout.S1CSH, CdLayout.SH_ISH));
    }

    static long cdAddress(int sid) {
        return CDS + (long) sid * CdLayout.BYTES;
    }

    void writeCd(int sid, long d0, long ttb) {
        ram.writeLong(cdAddress(sid), d0);
        ram.writeLong(cdAddress(sid) + 8, ttb & CdLayout.TTB0);
    }

    /** Linux arm_smmu_make_s1_cd: V, AA64, R, A, ASET, ASID, T0SZ, TG0, walk attributes, IPS. */
    static long cd0(int asid, int granuleShift, int ias, boolean cacheableWalk) {
        int tg0 = switch (granuleShift) {
            case 12 -> CdLayout.TG0_4K;
            case 14 -> CdLayout.TG0_16K;
            default -> CdLayout.TG0_64K;
        };
        int attr = cacheableWalk ? CdLayout.CACHE_WBWA : 0;
        return CdLayout.V | CdLayout.AA64 | CdLayout.R | CdLayout.A | CdLayout.ASET
                | Fields.prep(CdLayout.ASID, asid)
                | Fields.prep(CdLayout.T0SZ, 64 - ias)
                | Fields.prep(CdLayout.TG0, tg0)
                | Fields.prep(CdLayout.IRGN0, attr)
                | Fields.prep(CdLayout.ORGN0, attr)
                | Fields.prep(CdLayout.SH0, cacheableWalk ? CdLayout.SH_ISH : CdLayout.SH_OSH)
                | Fields.prep(CdLayout.IPS, SmmuRegisters.addressBitsField(48))
                | CdLayout.EPD1;
    }

    PageTables tables(int granuleShift, int ias) {
        return new PageTables(this, granuleShift, ias);
    }

    DmaPort port(int sid) {
        return machine.attach(sid, Coherency.NON_COHERENT, smmu);
    }

    /**
     * Streams 0 to {@code streams - 1} as bypass STEs, each read once through a new port (so the
     * SMMU caches the STE), then rewritten in RAM as abort STEs without an invalidation: a
     * stream reads through until a CFGI drops its cached STE.
     */
    List<DmaPort> cachedBypassThenAbort(int streams) {
        List<DmaPort> ports = new ArrayList<>();
        for (int sid = 0; sid < streams; sid++) {
            bypass(sid);
            ports.add(port(sid));
            if (ports.get(sid).read(0, new byte[1], 0, 1) != DmaStatus.OK) {
                throw new AssertionError("stream " + sid + ": the bypass read aborted");
            }
            abort(sid);
        }
        return ports;
    }

    /**
     * Maps {@code n} pages of {@code pageSize} from {@code va} (all to {@link #DATA}) in
     * {@code pt}, translates {@code sid} through them with {@code asid}, reads each page once so
     * that the IOTLB holds it, then clears every leaf: from then on a page the port still
     * reaches comes from the SMMU's caches. Returns the port.
     */
    DmaPort cachedThenCleared(PageTables pt, int sid, int asid, long va, long pageSize, int n) {
        for (int i = 0; i < n; i++) {
            pt.mapPage(va + i * pageSize, DATA, PageTables.RW);
        }
        translate(sid, asid, pt);
        DmaPort port = port(sid);
        for (int i = 0; i < n; i++) {
            if (port.read(va + i * pageSize, new byte[1], 0, 1) != DmaStatus.OK) {
                throw new AssertionError("page " + i + " does not translate");
            }
            pt.clear(va + i * pageSize, 3);
        }
        return port;
    }

    // -- command queue --

    /** Writes one command at PROD and rings the doorbell. */
    void command(long d0, long d1) {
        commandNoDoorbell(d0, d1);
        doorbell();
    }

    void commandNoDoorbell(long d0, long d1) {
        long slot = CMDQ + (prod & ((1L << CMDQ_LOG2) - 1)) * CMDQ_ENTRY_BYTES;
        ram.writeLong(slot, d0);
        ram.writeLong(slot + 8, d1);
        prod = (prod + 1) & ((1L << (CMDQ_LOG2 + 1)) - 1);
    }

    void doorbell() {
        regs.writeRegister(CMDQ_PROD, (int) prod);
    }

    int cons() {
        return regs.readRegister(CMDQ_CONS);
    }

    int prod() {
        return (int) prod;
    }

    void sync() {
        command(CommandLayout.OP_CMD_SYNC, 0);
    }

    /** TLBI_NH_VA without range fields (what Linux issues on an SMMU without RIL). */
    void tlbiVa(int asid, long va, boolean leaf) {
        command(CommandLayout.OP_TLBI_NH_VA | Fields.prep(CommandLayout.TLBI_0_ASID, asid),
                (va & CommandLayout.TLBI_1_VA) | (leaf ? CommandLayout.TLBI_1_LEAF : 0));
    }

    /** TLBI_NH_VA with range fields, encoded as Linux __arm_smmu_tlb_inv_range does. */
    void tlbiRange(int asid, long va, int num, int scale, int tg, int ttl, boolean leaf) {
        command(CommandLayout.OP_TLBI_NH_VA
                        | Fields.prep(CommandLayout.TLBI_0_ASID, asid)
                        | Fields.prep(CommandLayout.TLBI_0_NUM, num)
                        | Fields.prep(CommandLayout.TLBI_0_SCALE, scale),
                (va & CommandLayout.TLBI_1_VA)
                        | Fields.prep(CommandLayout.TLBI_1_TG, tg)
                        | Fields.prep(CommandLayout.TLBI_1_TTL, ttl)
                        | (leaf ? CommandLayout.TLBI_1_LEAF : 0));
    }

    void tlbiAsid(int asid) {
        command(CommandLayout.OP_TLBI_NH_ASID | Fields.prep(CommandLayout.TLBI_0_ASID, asid), 0);
    }

    void cfgiSte(int sid, boolean leaf) {
        command(CommandLayout.OP_CFGI_STE | Fields.prep(CommandLayout.CFGI_0_SID, sid),
                leaf ? CommandLayout.CFGI_1_LEAF : 0);
    }

    void cfgiCd(int sid) {
        command(CommandLayout.OP_CFGI_CD | Fields.prep(CommandLayout.CFGI_0_SID, sid), 0);
    }

    // -- event queue --

    /** Returns the next unread event record's four dwords, or null; consumes it. */
    long[] nextEventRecord() {
        long evtProd = regs.readRegister(EVENTQ_PROD) & 0xffff_ffffL;
        long mask = (1L << (EVTQ_LOG2 + 1)) - 1;
        if (((evtProd ^ evtCons) & mask) == 0) {
            return null;
        }
        long slot = EVTQ + (evtCons & ((1L << EVTQ_LOG2) - 1)) * EVENTQ_ENTRY_BYTES;
        long[] rec = new long[4];
        for (int i = 0; i < 4; i++) {
            rec[i] = ram.readLong(slot + 8L * i);
        }
        evtCons = (evtCons + 1) & mask;
        regs.writeRegister(EVENTQ_CONS, (int) evtCons);
        return rec;
    }
}

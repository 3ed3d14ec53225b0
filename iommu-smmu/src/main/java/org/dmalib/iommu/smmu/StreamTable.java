package org.dmalib.iommu.smmu;

import java.util.IdentityHashMap;
import java.util.List;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.smmu.CdLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.hw.smmu.SteLayout;
import org.dmalib.iommu.smmu.internal.cmdq.CommandQueue;
import org.dmalib.iommu.smmu.internal.cmdq.Commands;
import org.dmalib.iommu.smmu.internal.jfr.AttachEvent;

/**
 * The linear stream table and the context descriptors ({@code arm_smmu_make_s1_cd},
 * {@code arm_smmu_make_cdtable_ste}, {@code arm_smmu_make_abort_ste}), written through the
 * non-cacheable alias (RAM directly) and published with CFGI commands and a CMD_SYNC.
 *
 * <p>One CD per stream (no substreams, S1CDMAX = 0), allocated from the table memory at attach
 * and freed after the detach's sync.
 *
 * <p>Thread-safety: safe for concurrent use (synchronised); attach and detach are rare.
 */
final class StreamTable {
    private final PhysicalMemory ram;
    private final TableMemory memory;
    private final CommandQueue queue;
    private final long base;
    private final int log2;
    private final int oasField;
    private final boolean coherentWalk;
    private final SmmuDomain[] attached;
    private final long[] cds;
    // streams attached per domain, so that freeDomain's check does not scan the whole table
    private final IdentityHashMap<SmmuDomain, Integer> streamsOf = new IdentityHashMap<>();

    StreamTable(PhysicalMemory ram, TableMemory memory, CommandQueue queue, long base, int log2,
            int outputAddressBits, boolean coherentWalk) {
        this.ram = ram;
        this.memory = memory;
        this.queue = queue;
        this.base = base;
        this.log2 = log2;
        this.oasField = SmmuRegisters.addressBitsField(outputAddressBits);
        this.coherentWalk = coherentWalk;
        this.attached = new SmmuDomain[1 << log2];
        this.cds = new long[1 << log2];
    }

    /** Makes every STE an abort STE (arm_smmu_init_initial_stes with disable_bypass). */
    void initialise() {
        for (int sid = 0; sid < attached.length; sid++) {
            writeAbort(sid);
        }
    }

    synchronized void attach(SmmuDomain domain, int sid) {
        checkSid(sid);
        if (attached[sid] != null) {
            throw new StreamInUseException("streamId=" + sid + " is already attached to asid="
                    + attached[sid].asid());
        }
        long cd = memory.allocate(CdLayout.BYTES);
        writeCd(cd, domain);
        long ste = base + (long) sid * SteLayout.BYTES;
        ram.writeLong(ste + Long.BYTES, 0); // dword 1: non-cacheable CD fetches, incoming PRIV
        // dword 0 last: V and Config make the STE live, after the rest is in place
        ram.writeLong(ste, SteLayout.V
                | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                | (cd & SteLayout.S1_CONTEXT_PTR));
        queue.submitEncoded(List.of(Commands.cfgiCd(sid), Commands.cfgiSte(sid)));
        attached[sid] = domain;
        cds[sid] = cd;
        streamsOf.merge(domain, 1, Integer::sum);
        AttachEvent.emit(sid, domain.asid(), true);
    }

    synchronized void detach(int sid) {
        checkSid(sid);
        if (attached[sid] == null) {
            throw new StreamInUseException("streamId=" + sid + " is not attached");
        }
        writeAbort(sid);
        queue.submitEncoded(List.of(Commands.cfgiSte(sid)));
        // the CD is freed only after the sync: the SMMU can no longer fetch it
        memory.free(cds[sid], CdLayout.BYTES);
        AttachEvent.emit(sid, attached[sid].asid(), false);
        streamsOf.computeIfPresent(attached[sid], (d, n) -> n == 1 ? null : n - 1);
        attached[sid] = null;
        cds[sid] = 0;
    }

    synchronized boolean hasStreams(SmmuDomain domain) {
        return streamsOf.containsKey(domain);
    }

    private void checkSid(int sid) {
        if (sid < 0 || sid >= attached.length) {
            throw new StreamIdException("streamId=" + sid + " is outside the stream table of "
                    + attached.length + " entries (log2=" + log2 + ")");
        }
    }

    private void writeAbort(int sid) {
        long ste = base + (long) sid * SteLayout.BYTES;
        ram.writeLong(ste, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_ABORT));
        ram.writeLong(ste + Long.BYTES, 0);
    }

    private void writeCd(long cd, SmmuDomain domain) {
        DomainPageTable table = domain.table();
        int tg0 = switch (Long.numberOfTrailingZeros(table.pageSizes().minPageSize())) {
            case 12 -> CdLayout.TG0_4K;
            case 14 -> CdLayout.TG0_16K;
            default -> CdLayout.TG0_64K;
        };
        // walks are write-back cacheable, inner shareable when they can snoop (the page-table
        // code then skips cleaning); else non-cacheable, outer shareable (io-pgtable-arm TCR)
        int cache = coherentWalk ? CdLayout.CACHE_WBWA : 0;
        int sh = coherentWalk ? CdLayout.SH_ISH : CdLayout.SH_OSH;
        long d0 = Fields.prep(CdLayout.T0SZ, table.t0sz())
                | Fields.prep(CdLayout.TG0, tg0)
                | Fields.prep(CdLayout.IRGN0, cache)
                | Fields.prep(CdLayout.ORGN0, cache)
                | Fields.prep(CdLayout.SH0, sh)
                | CdLayout.EPD1 // no TTB1 half
                | Fields.prep(CdLayout.IPS, oasField)
                | CdLayout.AA64 | CdLayout.R | CdLayout.A | CdLayout.ASET
                | Fields.prep(CdLayout.ASID, domain.asid())
                | CdLayout.V;
        for (int i = 2; i < CdLayout.BYTES / Long.BYTES; i++) {
            ram.writeLong(cd + (long) i * Long.BYTES, 0);
        }
        ram.writeLong(cd + Long.BYTES, table.ttbr() & CdLayout.TTB0);
        // dword 0 (with V) last, as arm_smmu_write_cd_entry publishes the valid bit last
        ram.writeLong(cd, d0);
    }
}

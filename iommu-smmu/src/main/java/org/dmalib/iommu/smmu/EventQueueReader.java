package org.dmalib.iommu.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.smmu.EventLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;

/**
 * The driver's side of the event queue ({@code arm_smmu_evtq_thread}): reads the records between
 * CONS and PROD from RAM, decodes them and advances CONS; acknowledges an overflow as
 * {@code queue_sync_cons_ovf} does.
 *
 * <p>Thread-safety: safe for concurrent use (synchronised).
 */
final class EventQueueReader {
    private static final System.Logger LOG = System.getLogger(EventQueueReader.class.getName());
    // 4 doublewords per record (EVTQ_ENT_DWORDS = 4, arm-smmu-v3.h)
    private static final int DWORDS = EVENTQ_ENTRY_BYTES / Long.BYTES;

    private final SmmuProgramming regs;
    private final PhysicalMemory ram;
    private final long base;
    private final int log2;
    private long cons; // guarded by this: OVACKFLG, wrap and index
    private long drained;
    private long overflows;
    private long undecoded;

    EventQueueReader(SmmuProgramming regs, PhysicalMemory ram, long base, int log2) {
        this.regs = regs;
        this.ram = ram;
        this.base = base;
        this.log2 = log2;
    }

    synchronized List<SmmuFault> drain() {
        long wrapAndIndex = (1L << (log2 + 1)) - 1;
        // PROD is read before the records: the SMMU wrote every record below PROD first
        long prod = regs.readRegister(EVENTQ_PROD) & 0xffff_ffffL;
        List<SmmuFault> out = new ArrayList<>();
        long[] rec = new long[DWORDS];
        while (((prod ^ cons) & wrapAndIndex) != 0) {
            long slot = base + (cons & ((1L << log2) - 1)) * EVENTQ_ENTRY_BYTES;
            for (int i = 0; i < DWORDS; i++) {
                rec[i] = ram.readLong(slot + (long) i * Long.BYTES);
            }
            SmmuFault f = decode(rec);
            if (f != null) {
                out.add(f);
            }
            drained++;
            cons = (cons & ~wrapAndIndex) | ((cons + 1) & wrapAndIndex);
        }
        if (((prod ^ cons) & EVENTQ_OVFLG) != 0) {
            LOG.log(System.Logger.Level.WARNING, "EVTQ overflow detected -- events lost");
            cons ^= EVENTQ_OVFLG; // OVACKFLG follows OVFLG
            overflows++;
        }
        // the records are read before CONS hands their slots back to the SMMU
        regs.writeRegister(EVENTQ_CONS, (int) cons);
        return out;
    }

    synchronized long drained() {
        return drained;
    }

    synchronized long overflows() {
        return overflows;
    }

    synchronized long undecoded() {
        return undecoded;
    }

    private SmmuFault decode(long[] rec) {
        int id = (int) Fields.get(EventLayout.ID, rec[0]);
        for (SmmuEvent.Kind k : SmmuEvent.Kind.values()) {
            if (k.id() == id) {
                return new SmmuFault(k, (int) Fields.get(EventLayout.SID, rec[0]), rec[2],
                        !Fields.test(EventLayout.RNW, rec[1]), rec[3] & EventLayout.FETCH_ADDR);
            }
        }
        LOG.log(System.Logger.Level.WARNING, String.format(
                "event 0x%02x received: 0x%016x 0x%016x 0x%016x 0x%016x (not decoded)",
                id, rec[0], rec[1], rec[2], rec[3]));
        undecoded++;
        return null;
    }
}

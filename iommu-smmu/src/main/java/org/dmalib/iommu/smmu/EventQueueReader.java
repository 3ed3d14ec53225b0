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
 * <p>As Linux does, it hands each record's slot back to the SMMU (writes CONS) as soon as the
 * record is read ({@code queue_remove_raw}), and reads PROD again once it has caught up
 * ({@code queue_sync_prod_in}), until PROD has not moved: so an SMMU that finds the ring full
 * gets the slot back at once, and events recorded while the reader drains are drained too. An
 * overflow is reported when PROD's OVFLG has changed since the previous read of PROD.
 *
 * <p>Thread-safety: safe for concurrent use (synchronised).
 */
final class EventQueueReader {
    private static final System.Logger LOG = System.getLogger(EventQueueReader.class.getName());
    // 4 doublewords per record (EVTQ_ENT_DWORDS = 4, arm-smmu-v3.h)
    private static final int DWORDS = EVENTQ_ENTRY_BYTES / Long.BYTES;

    /** The reader's two registers: PROD, read, and CONS, written. */
    interface Registers {
        /** {@return SMMU_EVENTQ_PROD} */
        int prod();

        /**
         * Writes SMMU_EVENTQ_CONS.
         *
         * @param value OVACKFLG, wrap and index
         */
        void cons(int value);

        /**
         * Returns the registers of an SMMU's programming interface.
         *
         * @param regs the interface
         * @return its PROD and CONS
         */
        static Registers of(SmmuProgramming regs) {
            return new Registers() {
                @Override
                public int prod() {
                    return regs.readRegister(EVENTQ_PROD);
                }

                @Override
                public void cons(int value) {
                    regs.writeRegister(EVENTQ_CONS, value);
                }
            };
        }
    }

    private final Registers regs;
    private final PhysicalMemory ram;
    private final long base;
    private final int log2;
    // guarded by this: the driver's copies (llq.prod, llq.cons): OVFLG or OVACKFLG, wrap, index;
    // both 0 as the probe wrote them
    private long prod;
    private long cons;
    private long drained;
    private long overflows;
    private long undecoded;

    EventQueueReader(Registers regs, PhysicalMemory ram, long base, int log2) {
        this.regs = regs;
        this.ram = ram;
        this.base = base;
        this.log2 = log2;
    }

    synchronized List<SmmuFault> drain() {
        long wrapAndIndex = (1L << (log2 + 1)) - 1;
        List<SmmuFault> out = new ArrayList<>();
        long[] rec = new long[DWORDS];
        do {
            while (((prod ^ cons) & wrapAndIndex) != 0) { // queue_remove_raw until empty
                long slot = base + (cons & ((1L << log2) - 1)) * EVENTQ_ENTRY_BYTES;
                for (int i = 0; i < DWORDS; i++) {
                    rec[i] = ram.readLong(slot + (long) i * Long.BYTES);
                }
                cons = (cons & ~wrapAndIndex) | ((cons + 1) & wrapAndIndex);
                // queue_sync_cons_out: the record is read before CONS hands its slot back
                regs.cons((int) cons);
                drained++;
                SmmuFault f = decode(rec);
                if (f != null) {
                    out.add(f);
                }
            }
            // queue_sync_prod_in: the SMMU wrote every record below PROD before PROD itself
            long p = regs.prod() & 0xffff_ffffL;
            if (((p ^ prod) & EVENTQ_OVFLG) != 0) {
                LOG.log(System.Logger.Level.WARNING, "EVTQ overflow detected -- events lost");
                overflows++;
            }
            prod = p;
        } while (((prod ^ cons) & wrapAndIndex) != 0);
        if (((prod ^ cons) & EVENTQ_OVFLG) != 0) { // queue_sync_cons_ovf
            cons ^= EVENTQ_OVFLG; // OVACKFLG follows OVFLG
            regs.cons((int) cons);
        }
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
                // RnW and InputAddr exist only in the records of an access's fault, FetchAddr
                // only in those of a fetch's; elsewhere the bits are RES0 or UNKNOWN (IHI 0070
                // 7.3), and RnW = 0 would read as a write
                boolean access = k.recordsAccess();
                return new SmmuFault(k, (int) Fields.get(EventLayout.SID, rec[0]),
                        access ? rec[2] : 0, access && !Fields.test(EventLayout.RNW, rec[1]),
                        k.recordsFetchAddress() ? rec[3] & EventLayout.FETCH_ADDR : 0);
            }
        }
        LOG.log(System.Logger.Level.WARNING, String.format(
                "event 0x%02x received: 0x%016x 0x%016x 0x%016x 0x%016x (not decoded)",
                id, rec[0], rec[1], rec[2], rec[3]));
        undecoded++;
        return null;
    }
}

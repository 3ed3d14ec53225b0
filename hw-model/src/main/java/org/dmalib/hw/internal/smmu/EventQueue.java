package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import java.util.ArrayDeque;
import java.util.List;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.internal.jfr.SmmuTrace;
import org.dmalib.hw.smmu.EventLayout;
import org.dmalib.hw.smmu.Fields;

/**
 * The event queue: a ring of 32-byte records in RAM that the SMMU produces and the driver
 * consumes (SMMU_EVENTQ_BASE/PROD/CONS), plus a bounded log mirror of every event for
 * {@link org.dmalib.hw.Smmu#events()}.
 *
 * <p>An event reaches the ring only while SMMUEN and EVENTQEN are set and the ring is not full;
 * a full ring loses the event and toggles PROD.OVFLG to differ from CONS.OVACKFLG. The log keeps
 * every event, recorded or not.
 *
 * <p>Not thread-safe: the owning SMMU serialises access.
 */
final class EventQueue {
    // the log mirror keeps the most recent events: enough for any test or report, bounded so a
    // device faulting in a loop cannot exhaust the heap
    private static final int LOG_CAPACITY = 4096;

    private final SmmuConfig config;
    private final Registers regs;
    private final SmmuBus bus;
    private final SmmuStats stats;
    private final ArrayDeque<SmmuEvent> log = new ArrayDeque<>();

    private long base;
    private long prod;
    private long cons;
    private long irqCfg0;
    private long irqCfg1;
    private long irqCfg2;

    EventQueue(SmmuConfig config, Registers regs, SmmuBus bus, SmmuStats stats) {
        this.config = config;
        this.regs = regs;
        this.bus = bus;
        this.stats = stats;
    }

    static boolean handles32(int offset) {
        return offset == EVENTQ_PROD || offset == EVENTQ_CONS || offset == EVENTQ_IRQ_CFG1
                || offset == EVENTQ_IRQ_CFG2;
    }

    static boolean handles64(int offset) {
        return offset == EVENTQ_BASE || offset == EVENTQ_IRQ_CFG0;
    }

    int read32(int offset) {
        return (int) switch (offset) {
            case EVENTQ_PROD -> prod;
            case EVENTQ_CONS -> cons;
            case EVENTQ_IRQ_CFG1 -> irqCfg1;
            default -> irqCfg2;
        };
    }

    void write32(int offset, int value) {
        long v = value & 0xffff_ffffL;
        long pointer = EVENTQ_OVFLG | indexMask();
        switch (offset) {
            case EVENTQ_PROD -> {
                if (!regs.eventQueueEnabled()) { // PROD belongs to the SMMU while enabled
                    prod = v & pointer;
                }
            }
            case EVENTQ_CONS -> cons = v & pointer;
            case EVENTQ_IRQ_CFG1 -> irqCfg1 = v;
            default -> irqCfg2 = v;
        }
    }

    long read64(int offset) {
        return offset == EVENTQ_BASE ? base : irqCfg0;
    }

    void write64(int offset, long value) {
        if (offset == EVENTQ_BASE) {
            base = value & (Q_BASE_ADDR | Q_BASE_LOG2SIZE | Fields.mask(62, 62));
        } else {
            irqCfg0 = value & Fields.mask(51, 2);
        }
    }

    /**
     * Raises an event: counts it, logs it and, if {@code toQueue} and the queue can take it,
     * writes its record.
     *
     * @param kind the event type
     * @param sid the stream ID
     * @param address the input address of the access (always logged; recorded only by the event
     *     types that define InputAddr, see {@link SmmuEvent.Kind#recordsAccess})
     * @param write whether the access wrote
     * @param privileged whether the access was privileged
     * @param fetchAddress the failed fetch address, for fetch and walk aborts (0 otherwise)
     * @param toQueue whether the event may be recorded (CD.R for translation faults)
     */
    void raise(SmmuEvent.Kind kind, int sid, long address, boolean write, boolean privileged,
            long fetchAddress, boolean toQueue) {
        stats.faults++;
        if (log.size() == LOG_CAPACITY) {
            log.removeFirst();
        }
        log.addLast(new SmmuEvent(kind, sid, address, write));
        boolean recorded = record(kind, sid, address, write, privileged, fetchAddress, toQueue);
        SmmuTrace.fault(kind, sid, address, write, privileged, recorded);
    }

    /** Writes the event's record if it may and can; returns whether it did. */
    private boolean record(SmmuEvent.Kind kind, int sid, long address, boolean write,
            boolean privileged, long fetchAddress, boolean toQueue) {
        if (!toQueue || !regs.smmuEnabled() || !regs.eventQueueEnabled()) {
            stats.eventsLost++;
            return false;
        }
        int log2 = log2Size();
        long wrapAndIndex = (1L << (log2 + 1)) - 1;
        if (((prod ^ cons) & wrapAndIndex) == 1L << log2) { // same index, other wrap: full
            if (((prod ^ cons) & EVENTQ_OVFLG) == 0) {
                prod ^= EVENTQ_OVFLG; // overflow now differs from the acknowledged state
            }
            stats.eventsLost++;
            return false;
        }
        long slot = queueBase(log2) + (prod & ((1L << log2) - 1)) * EVENTQ_ENTRY_BYTES;
        if (!bus.inRange(slot, EVENTQ_ENTRY_BYTES)) {
            regs.raiseError(GERROR_EVTQ_ABT_ERR); // the record write aborted
            stats.eventsLost++;
            return false;
        }
        boolean coherent = regs.queueCoherent();
        long attributes = 0;
        long inputAddress = 0;
        if (kind.recordsAccess()) {
            // F_WALK_EABT: a table descriptor fetch aborted (TT); the others fault the input (IN)
            int eventClass = kind == SmmuEvent.Kind.WALK_EXTERNAL_ABORT
                    ? EventLayout.CLASS_TT : EventLayout.CLASS_IN;
            attributes = (write ? 0 : EventLayout.RNW)
                    | (privileged ? EventLayout.PNU : 0)
                    | Fields.prep(EventLayout.CLASS, eventClass);
            inputAddress = address;
        }
        bus.write(slot, Fields.prep(EventLayout.ID, kind.id())
                | Fields.prep(EventLayout.SID, sid & 0xffff_ffffL), Long.BYTES, coherent);
        bus.write(slot + 8, attributes, Long.BYTES, coherent);
        bus.write(slot + 16, inputAddress, Long.BYTES, coherent);
        bus.write(slot + 24, kind.recordsFetchAddress() ? fetchAddress & EventLayout.FETCH_ADDR : 0,
                Long.BYTES, coherent);
        prod = (prod & ~wrapAndIndex) | ((prod + 1) & wrapAndIndex);
        stats.eventsRecorded++;
        return true;
    }

    /** Returns an immutable snapshot of the log. */
    List<SmmuEvent> snapshot() {
        return List.copyOf(log);
    }

    private int log2Size() {
        return (int) Math.min(Fields.get(Q_BASE_LOG2SIZE, base), config.eventQueueLog2());
    }

    private long indexMask() {
        return (1L << (log2Size() + 1)) - 1;
    }

    private long queueBase(int log2) {
        // the ring is aligned to its size (at least 32 bytes); lower address bits read as 0
        long size = (long) EVENTQ_ENTRY_BYTES << log2;
        return base & Q_BASE_ADDR & ~(size - 1);
    }
}

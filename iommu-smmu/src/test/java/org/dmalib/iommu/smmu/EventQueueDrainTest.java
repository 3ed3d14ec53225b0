package org.dmalib.iommu.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.EVENTQ_BASE;
import static org.dmalib.hw.smmu.SmmuRegisters.Q_BASE_ADDR;
import static org.dmalib.hw.smmu.SmmuRegisters.Q_BASE_LOG2SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.smmu.EventLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.junit.jupiter.api.Test;

/**
 * The drain's order against the SMMU, as {@code arm_smmu_evtq_thread}: CONS written after each
 * record, PROD read again until it stands still. A device faults from inside the reader's first
 * CONS write, so the SMMU records while the driver drains, deterministically.
 */
class EventQueueDrainTest {
    private static final int SID = 5;
    // four records: LOG2SIZE 2
    private final Rig rig = new Rig(new SmmuConfig(true, true, true, true, true, 48, 16, 8, 19, 2,
            IotlbGeometry.GEM5));
    private final DmaPort port;
    private final List<Integer> consWrites = new ArrayList<>();
    private long nextIova = 0x100_0000L;
    private int faultsOnFirstCons;

    EventQueueDrainTest() {
        rig.driver.attach(rig.domain(InvalidationStrategy.LINUX, 4096), SID);
        port = rig.port(SID);
    }

    /** {@code n} reads of unmapped pages: one translation fault record each (if there is room). */
    private void fault(int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(DmaStatus.ABORT, Rig.read(port, nextIova));
            nextIova += 0x1000;
        }
    }

    /** A reader of the driver's ring whose CONS writes the test sees (the driver's stays idle). */
    private EventQueueReader reader() {
        SmmuProgramming p = SmmuProgramming.of(rig.smmu);
        EventQueueReader.Registers real = EventQueueReader.Registers.of(p);
        long q = p.readRegister64(EVENTQ_BASE);
        return new EventQueueReader(new EventQueueReader.Registers() {
            @Override
            public int prod() {
                return real.prod();
            }

            @Override
            public void cons(int value) {
                real.cons(value);
                consWrites.add(value);
                if (consWrites.size() == 1) {
                    fault(faultsOnFirstCons);
                }
            }
        }, rig.machine.memory(), q & Q_BASE_ADDR, (int) Fields.get(Q_BASE_LOG2SIZE, q));
    }

    @Test
    void a_full_ring_gets_its_first_slot_back_before_the_next_record_is_read() {
        EventQueueReader r = reader();
        fault(4); // the ring is full
        faultsOnFirstCons = 1; // finds the slot the first CONS write handed back
        List<SmmuFault> got = r.drain();
        assertEquals(5, got.size(), got::toString);
        assertEquals(0x100_0000L + 4 * 0x1000, got.get(4).address());
        assertEquals(0, r.overflows(), "no event was lost");
        assertEquals(List.of(1, 2, 3, 4, 5), consWrites, "one CONS write per record, wrap bit at 4");
    }

    @Test
    void records_made_during_the_drain_are_drained_by_it() {
        EventQueueReader r = reader();
        fault(2);
        faultsOnFirstCons = 2;
        assertEquals(4, r.drain().size());
        assertEquals(List.of(1, 2, 3, 4), consWrites);
        assertEquals(0, r.drain().size(), "PROD stood still: nothing left");
    }

    @Test
    void an_overflow_is_acknowledged_after_the_records_are_drained() {
        EventQueueReader r = reader();
        fault(6); // four recorded, two lost: OVFLG toggles
        assertEquals(4, r.drain().size());
        assertEquals(1, r.overflows());
        // four record slots handed back, then the acknowledgement: OVACKFLG (bit 31) set
        assertEquals(List.of(1, 2, 3, 4, 4 | 1 << 31), consWrites);
        fault(1);
        assertEquals(1, r.drain().size(), "recorded again once acknowledged");
        assertEquals(1, r.overflows());
    }

    @Test
    void each_kind_is_decoded_from_the_fields_its_record_defines() {
        long ring = Rig.DATA; // a ring of four records the test writes itself
        long[][] records = {
            // F_TRANSLATION of a read: RnW = 1, InputAddr; dword 3 (a stage-1 IPA) UNKNOWN
            {0x10 | 5L << 32, EventLayout.RNW, 0xABC000, 0xDEAD_0000L},
            // C_BAD_STE: dwords 1 and 2 RES0 (RnW = 0 must not read as a write), no FetchAddr
            {0x04 | 6L << 32, 0, 0x5000, 0x7000},
            // F_CD_FETCH: FetchAddr in dword 3
            {0x09 | 7L << 32, 0, 0, 0x8000_0040L},
        };
        for (int r = 0; r < records.length; r++) {
            for (int d = 0; d < 4; d++) {
                rig.machine.memory().writeLong(ring + r * 32L + d * 8L, records[r][d]);
            }
        }
        EventQueueReader reader = new EventQueueReader(new EventQueueReader.Registers() {
            @Override
            public int prod() {
                return records.length;
            }

            @Override
            public void cons(int value) {
                consWrites.add(value);
            }
        }, rig.machine.memory(), ring, 2);
        assertEquals(List.of(
                new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, 5, 0xABC000, false, 0),
                new SmmuFault(SmmuEvent.Kind.BAD_STE, 6, 0, false, 0),
                new SmmuFault(SmmuEvent.Kind.CD_FETCH_FAULT, 7, 0, false, 0x8000_0040L)),
                reader.drain());
    }
}

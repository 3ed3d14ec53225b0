package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.junit.jupiter.api.Test;

/** The event queue on a ring of four records: reading round the wrap, and an overflow. */
class EventQueueTest {
    private static final int SID = 5;
    // four records: the ring wraps after every fourth fault
    private final Rig rig = new Rig(new SmmuConfig(true, true, true, true, true, 48, 16, 8, 19, 2,
            IotlbGeometry.GEM5));
    private final DmaPort port;

    EventQueueTest() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        rig.driver.attach(domain, SID);
        port = rig.port(SID);
    }

    /** Reads {@code n} unmapped pages from {@code first} on: one translation fault each. */
    private List<SmmuFault> fault(long first, int n) {
        List<SmmuFault> want = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long iova = first + i * 0x1000L;
            assertEquals(DmaStatus.ABORT, Rig.read(port, iova));
            want.add(new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, SID, iova, false, 0));
        }
        return want;
    }

    @Test
    void records_are_read_in_order_round_the_wrap_of_the_ring() {
        for (int round = 0; round < 5; round++) {
            List<SmmuFault> want = fault(0x100_0000L * (round + 1), 3);
            assertEquals(want, rig.driver.drainEvents(), "round " + round);
        }
        assertEquals(15, rig.driver.counters().eventsDrained());
        assertEquals(0, rig.driver.counters().eventOverflows());
    }

    @Test
    void an_overflow_is_counted_once_and_the_queue_goes_on() {
        List<SmmuFault> want = fault(0x100_0000L, 4);
        fault(0x200_0000L, 2); // the ring is full: both are lost
        assertEquals(want, rig.driver.drainEvents());
        assertEquals(1, rig.driver.counters().eventOverflows());
        List<SmmuFault> after = fault(0x300_0000L, 2);
        assertEquals(after, rig.driver.drainEvents(), "recorded again once acknowledged");
        assertEquals(1, rig.driver.counters().eventOverflows());
        assertEquals(6, rig.driver.counters().eventsDrained());
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/**
 * Stream isolation: a device reaches only the domain its stream is attached to. Two domains map
 * the same IOVA to different memory; each stream sees its own. Streams attached to nothing abort:
 * inside the stream table they hit the abort STE the driver wrote (Linux
 * {@code arm_smmu_make_abort_ste}: the model records no event for it, as the architecture says);
 * beyond the table the SMMU raises C_BAD_STREAMID.
 */
class StreamIsolationTest {
    private static final long PAGE = 4096;
    private static final long IOVA = 0x1000_0000L;
    private static final long ONLY_IN_A = 0x2000_0000L;
    private static final long MEM_A = Rig.DATA;
    private static final long MEM_B = Rig.DATA + 0x10_0000L;

    private final Rig rig = new Rig(SmmuConfig.gem5());
    private final PhysicalMemory ram = rig.machine.memory();
    private final IommuDomain a = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
    private final IommuDomain b = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
    private final DmaPort portA;
    private final DmaPort portB;

    StreamIsolationTest() {
        rig.driver.attach(a, 1);
        rig.driver.attach(b, 2);
        portA = rig.port(1);
        portB = rig.port(2);
        ram.fill(MEM_A, PAGE, (byte) 0xaa);
        ram.fill(MEM_B, PAGE, (byte) 0xbb);
        a.map(IOVA, MEM_A, PAGE, IommuProt.READ_WRITE);
        b.map(IOVA, MEM_B, PAGE, IommuProt.READ_WRITE);
        a.map(ONLY_IN_A, MEM_A, PAGE, IommuProt.READ_WRITE);
    }

    private static byte first(DmaPort port, long iova) {
        byte[] one = new byte[1];
        assertEquals(DmaStatus.OK, port.read(iova, one, 0, 1));
        return one[0];
    }

    @Test
    void streams_of_two_domains_see_only_their_own_mapping_at_the_same_iova() {
        assertEquals((byte) 0xaa, first(portA, IOVA));
        assertEquals((byte) 0xbb, first(portB, IOVA));
        assertEquals(DmaStatus.OK, portB.write(IOVA + 8, new byte[] {0x5b}, 0, 1));
        assertEquals((byte) 0x5b, ram.readByte(MEM_B + 8));
        assertEquals((byte) 0xaa, ram.readByte(MEM_A + 8), "domain A's memory untouched");
        assertEquals((byte) 0xaa, first(portA, IOVA + 8));
        // an IOVA only domain A maps is a translation fault for B's stream
        assertEquals(DmaStatus.ABORT, Rig.read(portB, ONLY_IN_A));
        assertEquals(DmaStatus.ABORT, portB.write(ONLY_IN_A, new byte[] {1}, 0, 1));
        assertEquals((byte) 0xaa, ram.readByte(MEM_A));
        assertEquals(List.of(new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, 2, ONLY_IN_A, false, 0),
                new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, 2, ONLY_IN_A, true, 0)),
                rig.driver.drainEvents());
    }

    @Test
    void an_unmap_in_one_domain_does_not_touch_the_other_domain_at_the_same_iova() {
        assertEquals((byte) 0xaa, first(portA, IOVA));
        assertEquals((byte) 0xbb, first(portB, IOVA)); // both cached, under different ASIDs
        assertEquals(PAGE, a.unmap(IOVA, PAGE));
        assertEquals(DmaStatus.ABORT, Rig.read(portA, IOVA));
        assertEquals((byte) 0xbb, first(portB, IOVA), "B's entry survived A's invalidation");
    }

    @Test
    void an_unattached_stream_in_the_table_aborts_without_an_event() {
        DmaPort stranger = rig.port(3);
        for (long iova : new long[] {IOVA, ONLY_IN_A, 0}) {
            assertEquals(DmaStatus.ABORT, Rig.read(stranger, iova));
            assertEquals(DmaStatus.ABORT, stranger.write(iova, new byte[] {9}, 0, 1));
        }
        assertEquals((byte) 0xaa, ram.readByte(MEM_A));
        assertEquals((byte) 0xbb, ram.readByte(MEM_B));
        assertEquals(List.of(), rig.driver.drainEvents(), "an abort STE records nothing");
    }

    @Test
    void a_stream_beyond_the_stream_table_aborts_with_c_bad_streamid() {
        int beyond = 1 << rig.driver.features().streamTableLog2();
        DmaPort outside = rig.port(beyond);
        assertEquals(DmaStatus.ABORT, Rig.read(outside, IOVA));
        // a configuration event's record carries no access: no address, and RES0 RnW no write
        assertEquals(List.of(new SmmuFault(SmmuEvent.Kind.BAD_STREAM_ID, beyond, 0, false, 0)),
                rig.driver.drainEvents());
    }

    @Test
    void a_detached_stream_loses_its_domain_and_the_other_stream_keeps_its_own() {
        assertEquals((byte) 0xaa, first(portA, IOVA)); // cached before the detach
        rig.driver.detach(1);
        assertEquals(DmaStatus.ABORT, Rig.read(portA, IOVA));
        assertEquals(DmaStatus.ABORT, Rig.read(portA, ONLY_IN_A));
        assertEquals((byte) 0xbb, first(portB, IOVA));
        assertEquals(List.of(), rig.driver.drainEvents());
        rig.driver.attach(b, 1); // now stream 1 sees B, not A
        assertEquals((byte) 0xbb, first(portA, IOVA));
        assertEquals(DmaStatus.ABORT, Rig.read(portA, ONLY_IN_A));
    }
}

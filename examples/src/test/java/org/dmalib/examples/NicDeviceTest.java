package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.hw.Coherency;
import org.junit.jupiter.api.Test;

/**
 * {@link Nic} at its register and descriptor interface, as its class Javadoc describes it: the
 * OWN bit hands a descriptor to the device and back, ERROR marks what it could not complete,
 * and a ring it cannot read is an abort, not a transfer.
 */
class NicDeviceTest {
    private final Platform p = new Platform(IommuMode.DIRECT, Coherency.COHERENT);
    private final Nic nic = new Nic(p.port);
    private final CpuBuffer ring = p.memory.allocate(4096);
    private final CpuBuffer data = p.memory.allocate(8192);

    private static byte[] bytes(int seed, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + 3 * i);
        }
        return b;
    }

    private void post(int offset, long address, int length, int status) {
        ByteBuffer d = ByteBuffer.allocate(Nic.DESCRIPTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        d.putLong(Nic.ADDRESS, address).putInt(Nic.LENGTH, length).putInt(Nic.STATUS, status);
        ring.write(p.cpu, offset, d.array());
    }

    private int length(int offset) {
        return ByteBuffer.wrap(ring.read(p.cpu, offset + Nic.LENGTH, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    private int status(int offset) {
        return ByteBuffer.wrap(ring.read(p.cpu, offset + Nic.STATUS, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Test
    void rx_fills_owned_buffers_marks_a_too_small_one_and_drops_at_a_not_owned_one() {
        nic.configureRx(ring.paddr(), 4);
        post(0, data.paddr(), 100, Nic.OWN);
        post(16, data.paddr() + 256, 100, Nic.OWN);
        post(32, data.paddr() + 512, 100, 0);
        // a frame as long as the buffer fits
        assertTrue(nic.receive(bytes(1, 100)));
        assertArrayEquals(bytes(1, 100), data.read(p.cpu, 0, 100));
        assertEquals(100, length(0));
        assertEquals(0, status(0), "OWN clear, no ERROR");
        // one byte longer than the buffer: not written, completed with ERROR
        assertFalse(nic.receive(bytes(2, 101)));
        assertArrayEquals(new byte[101], data.read(p.cpu, 256, 101));
        assertEquals(Nic.ERROR, status(16));
        // the head descriptor is the driver's: dropped, the descriptor untouched
        assertFalse(nic.receive(bytes(3, 60)));
        assertEquals(100, length(32));
        assertEquals(1, nic.rxFrames());
        assertEquals(1, nic.rxErrors());
        assertEquals(1, nic.rxDropped());
        assertEquals(0, nic.ringAborts());
    }

    @Test
    void tx_sends_owned_descriptors_up_to_the_tail_and_marks_a_bad_length() {
        int tx = 1024;
        nic.configureTx(ring.paddr() + tx, 4);
        data.write(p.cpu, 0, bytes(4, Nic.MAX_FRAME));
        post(tx, data.paddr(), Nic.MAX_FRAME, Nic.OWN);
        post(tx + 16, data.paddr(), 0, Nic.OWN);
        post(tx + 32, data.paddr(), Nic.MAX_FRAME + 1, Nic.OWN);
        nic.writeTxTail(3);
        List<byte[]> wire = nic.drainWire();
        assertEquals(1, wire.size());
        assertArrayEquals(bytes(4, Nic.MAX_FRAME), wire.get(0));
        assertEquals(0, status(tx));
        // no packet is 0 bytes or longer than a frame
        assertEquals(Nic.ERROR, status(tx + 16));
        assertEquals(Nic.ERROR, status(tx + 32));
        assertEquals(1, nic.txFrames());
        assertEquals(2, nic.txErrors());

        // the device stops at a descriptor it does not own, and resumes there
        post(tx + 48, data.paddr(), 60, 0);
        post(tx, data.paddr(), 60, Nic.OWN);
        nic.writeTxTail(1);
        assertEquals(List.of(), nic.drainWire());
        assertEquals(0, status(tx + 48));
        post(tx + 48, data.paddr(), 60, Nic.OWN);
        nic.writeTxTail(1);
        List<byte[]> two = nic.drainWire();
        assertEquals(2, two.size());
        assertArrayEquals(bytes(4, 60), two.get(0));
        assertEquals(3, nic.txFrames());
    }

    @Test
    void a_ring_the_bus_refuses_is_an_abort_and_moves_nothing() {
        // behind the SMMU, an IOVA nothing is mapped at
        Platform smmu = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        Nic behind = new Nic(smmu.port);
        behind.configureRx(0x7000_0000L, 4);
        long written = smmu.machine.counters().dmaBytesWritten();
        assertFalse(behind.receive(bytes(5, 60)));
        assertEquals(1, behind.ringAborts());
        assertEquals(1, behind.rxDropped());
        assertEquals(0, behind.rxFrames() + behind.rxErrors());
        assertEquals(written, smmu.machine.counters().dmaBytesWritten());
        assertFalse(smmu.events().isEmpty(), "the SMMU recorded the fault");
    }
}

package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DmaMapping;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/**
 * {@link BlockDevice} at its ring interface, as its class Javadoc describes it: owned requests
 * run in order up to the tail, a write gathers every segment before it changes the disk, and
 * every malformed request is completed with ERROR and no bytes.
 */
class BlockDeviceTest {
    private static final int SECTORS = 64;
    private static final int TABLES = 2048;

    private final Platform p = new Platform(IommuMode.DIRECT, Coherency.COHERENT);
    private final BlockDevice disk = new BlockDevice(p.port, SECTORS);
    private final CpuBuffer ring = p.memory.allocate(4096);
    private final CpuBuffer data = p.memory.allocate(4 * 4096);

    {
        disk.configure(ring.paddr(), 16);
    }

    private static byte[] bytes(int seed, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + 7 * i);
        }
        return b;
    }

    /**
     * Fills request {@code slot}: its table at a slot's own place, with {@code segments} as
     * (address, length) pairs.
     */
    private void request(int slot, long sector, int op, int status, long... segments) {
        int table = TABLES + slot * 128;
        ByteBuffer t = ByteBuffer.allocate(Math.max(16, segments.length * 8)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < segments.length; i += 2) {
            t.putLong(i * 8, segments[i]).putInt(i * 8 + 8, (int) segments[i + 1]);
        }
        ring.write(p.cpu, table, t.array());
        ByteBuffer d = ByteBuffer.allocate(BlockDevice.REQUEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        d.putLong(BlockDevice.SECTOR_FIELD, sector).putLong(BlockDevice.TABLE, ring.paddr() + table)
                .putInt(BlockDevice.COUNT, segments.length / 2).putInt(BlockDevice.OP, op)
                .putInt(BlockDevice.STATUS, status).putInt(BlockDevice.DONE_BYTES, -1);
        ring.write(p.cpu, slot * BlockDevice.REQUEST_BYTES, d.array());
    }

    /** Sets request {@code slot}'s segment count as typed, whatever its table holds. */
    private void count(int slot, int count) {
        ring.write(p.cpu, slot * BlockDevice.REQUEST_BYTES + BlockDevice.COUNT,
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, count).array());
    }

    private int word(int slot, int field) {
        return ByteBuffer.wrap(ring.read(p.cpu, slot * BlockDevice.REQUEST_BYTES + field, 4))
                .order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Test
    void a_write_then_a_read_move_the_segments_in_order_and_report_their_bytes() {
        byte[] first = bytes(1, 512);
        byte[] second = bytes(2, 1024);
        data.write(p.cpu, 0, first);
        data.write(p.cpu, 4096, second);
        request(0, 3, BlockDevice.OP_WRITE, BlockDevice.OWN, data.paddr(), 512, data.paddr() + 4096, 1024);
        // the last sectors of the disk: a range that ends exactly at its end
        request(1, SECTORS - 3, BlockDevice.OP_WRITE, BlockDevice.OWN, data.paddr(), 1536);
        request(2, 3, BlockDevice.OP_READ, BlockDevice.OWN, data.paddr() + 8192, 1024,
                data.paddr() + 12288, 512);
        disk.writeTail(3);
        byte[] both = new byte[1536];
        System.arraycopy(first, 0, both, 0, 512);
        System.arraycopy(second, 0, both, 512, 1024);
        assertArrayEquals(both, disk.peek(3, 3));
        assertEquals(1536, disk.peek(SECTORS - 3, 3).length);
        assertArrayEquals(data.read(p.cpu, 0, 1536), disk.peek(SECTORS - 3, 3));
        assertArrayEquals(Arrays.copyOfRange(both, 0, 1024), data.read(p.cpu, 8192, 1024));
        assertArrayEquals(Arrays.copyOfRange(both, 1024, 1536), data.read(p.cpu, 12288, 512));
        for (int slot = 0; slot < 3; slot++) {
            assertEquals(0, word(slot, BlockDevice.STATUS), "OWN clear, no ERROR");
            assertEquals(1536, word(slot, BlockDevice.DONE_BYTES));
        }
        assertEquals(3, disk.requests());
        assertEquals(0, disk.errors());
        assertEquals(2 * 1536, disk.bytesWritten());
        assertEquals(1536, disk.bytesRead());
    }

    @Test
    void every_malformed_request_completes_with_error_and_no_bytes() {
        long a = data.paddr();
        request(0, 0, BlockDevice.OP_READ, BlockDevice.OWN, a, 512);
        count(0, 0);
        request(1, 0, BlockDevice.OP_READ, BlockDevice.OWN, a, 512);
        count(1, BlockDevice.MAX_SEGMENTS + 1);
        request(2, 0, 2, BlockDevice.OWN, a, 512);
        request(3, 0, BlockDevice.OP_WRITE, BlockDevice.OWN, a, 512, a + 512, 0);
        request(4, 0, BlockDevice.OP_WRITE, BlockDevice.OWN, a, 100);
        request(5, SECTORS - 1, BlockDevice.OP_WRITE, BlockDevice.OWN, a, 1024);
        // a write whose second segment cannot be read changes nothing on the disk
        data.write(p.cpu, 0, bytes(3, 512));
        request(6, 0, BlockDevice.OP_WRITE, BlockDevice.OWN, a, 512, 1L << 40, 512);
        // a read into memory that is not there
        request(7, 0, BlockDevice.OP_READ, BlockDevice.OWN, 1L << 40, 512);
        disk.writeTail(8);
        for (int slot = 0; slot < 8; slot++) {
            assertEquals(BlockDevice.ERROR, word(slot, BlockDevice.STATUS), "slot " + slot);
            assertEquals(0, word(slot, BlockDevice.DONE_BYTES), "slot " + slot);
        }
        assertArrayEquals(new byte[2 * 512], disk.peek(0, 2));
        assertEquals(8, disk.requests());
        assertEquals(8, disk.errors());
        assertEquals(0, disk.bytesRead() + disk.bytesWritten());
    }

    @Test
    void the_device_stops_at_a_request_it_does_not_own_and_resumes_there() {
        data.write(p.cpu, 0, bytes(4, 512));
        request(0, 0, BlockDevice.OP_WRITE, 0, data.paddr(), 512);
        disk.writeTail(1);
        assertEquals(0, disk.requests());
        assertEquals(-1, word(0, BlockDevice.DONE_BYTES), "untouched");
        request(0, 0, BlockDevice.OP_WRITE, BlockDevice.OWN, data.paddr(), 512);
        disk.writeTail(1);
        assertEquals(1, disk.requests());
        assertArrayEquals(bytes(4, 512), disk.peek(0, 1));
    }

    @Test
    void a_request_may_have_up_to_128_segments() {
        BlockDevice big = new BlockDevice(p.port, 2 * BlockDevice.MAX_SEGMENTS);
        CpuBuffer table = p.memory.allocate(BlockDevice.MAX_SEGMENTS * BlockDevice.SEGMENT_BYTES);
        CpuBuffer buffers = p.memory.allocate(BlockDevice.MAX_SEGMENTS * BlockDevice.SECTOR);
        ByteBuffer t = ByteBuffer.allocate(BlockDevice.MAX_SEGMENTS * BlockDevice.SEGMENT_BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < BlockDevice.MAX_SEGMENTS; i++) {
            t.putLong(i * BlockDevice.SEGMENT_BYTES, buffers.paddr() + (long) i * BlockDevice.SECTOR)
                    .putInt(i * BlockDevice.SEGMENT_BYTES + 8, BlockDevice.SECTOR);
        }
        table.write(p.cpu, 0, t.array());
        byte[] payload = bytes(9, BlockDevice.MAX_SEGMENTS * BlockDevice.SECTOR);
        buffers.write(p.cpu, 0, payload);
        ByteBuffer d = ByteBuffer.allocate(BlockDevice.REQUEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        d.putLong(BlockDevice.SECTOR_FIELD, 5).putLong(BlockDevice.TABLE, table.paddr())
                .putInt(BlockDevice.COUNT, BlockDevice.MAX_SEGMENTS)
                .putInt(BlockDevice.OP, BlockDevice.OP_WRITE).putInt(BlockDevice.STATUS, BlockDevice.OWN);
        CpuBuffer bigRing = p.memory.allocate(4096);
        bigRing.write(p.cpu, 0, d.array());
        big.configure(bigRing.paddr(), 2);
        big.writeTail(1);
        assertEquals(0, big.errors());
        assertArrayEquals(payload, big.peek(5, BlockDevice.MAX_SEGMENTS));
    }

    @Test
    void a_request_whose_status_cannot_be_written_back_is_a_ring_abort_and_not_an_error() {
        // behind the SMMU, a ring the device may read but not write: it takes a malformed
        // request and cannot complete it
        Platform smmu = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        BlockDevice behind = new BlockDevice(smmu.port, SECTORS);
        CpuBuffer readOnly = smmu.memory.allocate(4096);
        ByteBuffer d = ByteBuffer.allocate(BlockDevice.REQUEST_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        d.putInt(BlockDevice.COUNT, 0).putInt(BlockDevice.OP, BlockDevice.OP_READ)
                .putInt(BlockDevice.STATUS, BlockDevice.OWN);
        readOnly.write(smmu.cpu, 0, d.array());
        DmaMapping m = smmu.dev.mapSingle(smmu.cpu, readOnly, DmaDirection.TO_DEVICE);
        behind.configure(m.dmaAddress(), 2);
        behind.writeTail(1);
        assertEquals(1, behind.requests());
        assertEquals(0, behind.errors(), "its ERROR never reached the ring");
        assertEquals(1, behind.ringAborts());
        assertEquals(1, smmu.events().size(), smmu.events()::toString);
        m.unmap(smmu.cpu);
    }

    @Test
    void an_unreadable_ring_or_table_is_an_error_and_a_negative_ring_is_refused() {
        // the table past the machine's memory
        request(0, 0, BlockDevice.OP_READ, BlockDevice.OWN, data.paddr(), 512);
        ring.write(p.cpu, BlockDevice.TABLE, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0, 1L << 40).array());
        disk.writeTail(1);
        assertEquals(BlockDevice.ERROR, word(0, BlockDevice.STATUS));
        assertEquals(1, disk.errors());
        // the ring itself: nothing executes
        disk.configure(1L << 40, 4);
        disk.writeTail(1);
        assertEquals(1, disk.requests());
        assertEquals(1, disk.errors(), "no request was completed");
        assertEquals(1, disk.ringAborts());
        String negative = assertThrows(IllegalArgumentException.class,
                () -> disk.configure(ring.paddr(), -1)).getMessage();
        assertTrue(negative.contains("ringEntries=-1 "), negative);
        String tail = assertThrows(IllegalArgumentException.class,
                () -> disk.writeTail(4)).getMessage();
        assertTrue(tail.contains("tail=4 must be from 0 to 3"), tail);
    }
}

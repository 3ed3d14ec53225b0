package org.dmalib.examples;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;

/**
 * Device model of a disk of {@value #SECTOR}-byte sectors (held in the model) with one request
 * ring: the hardware side of the block example. It reaches memory only through its
 * {@link DmaPort}: the request ring and segment tables (which its driver keeps in coherent
 * memory) and the data buffers the tables point to.
 *
 * <p>A request is {@value #REQUEST_BYTES} bytes, little-endian: the first sector (u64 at
 * {@value #SECTOR_FIELD}), the DMA address of its segment table (u64 at {@value #TABLE}), the
 * number of segments (u32 at {@value #COUNT}), the operation (u32 at {@value #OP}:
 * {@value #OP_READ} read, {@value #OP_WRITE} write), a status (u32 at {@value #STATUS}, bits
 * {@link #OWN} and {@link #ERROR}) and the bytes moved (u32 at {@value #DONE_BYTES}, written by
 * the device). A segment table entry is {@value #SEGMENT_BYTES} bytes: a DMA address (u64) and a
 * length (u32); the request moves the segments' bytes, in order, to or from consecutive
 * sectors.
 *
 * <p>The driver fills a request (OWN set) and writes the tail register ({@link #writeTail});
 * the device executes every owned request from its head up to the tail before the write
 * returns: a write gathers every segment first and changes the disk only if all were read; a
 * read scatters the sectors into the segments. A request is completed with {@link #ERROR} if its
 * request or table is malformed (an unknown operation, no segments, more than {@value
 * #MAX_SEGMENTS}, a segment of length 0, a total that is not a multiple of the sector size,
 * sectors past the end) or a DMA access aborted.
 *
 * <p>Thread-safety: safe for concurrent use (register accesses are serialized).
 */
public final class BlockDevice {
    /** Bytes per sector. */
    public static final int SECTOR = 512;
    /** Bytes per request descriptor. */
    public static final int REQUEST_BYTES = 32;
    /** Offset of the first sector (u64). */
    public static final int SECTOR_FIELD = 0;
    /** Offset of the segment table's DMA address (u64). */
    public static final int TABLE = 8;
    /** Offset of the number of segments (u32). */
    public static final int COUNT = 16;
    /** Offset of the operation (u32). */
    public static final int OP = 20;
    /** Offset of the status (u32). */
    public static final int STATUS = 24;
    /** Offset of the bytes the device moved (u32). */
    public static final int DONE_BYTES = 28;
    /** Operation: sectors to memory. */
    public static final int OP_READ = 0;
    /** Operation: memory to sectors. */
    public static final int OP_WRITE = 1;
    /** Status bit: the device owns the request. */
    public static final int OWN = 1;
    /** Status bit: the request failed. */
    public static final int ERROR = 2;
    /** Bytes per segment table entry. */
    public static final int SEGMENT_BYTES = 16;
    /** The most segments per request. */
    public static final int MAX_SEGMENTS = 128;

    private final DmaPort port;
    private final byte[] disk;
    private long base;
    private int entries;
    private int head;
    private long requests;
    private long errors;
    private long ringAborts;
    private long bytesRead;
    private long bytesWritten;

    /**
     * Creates a zeroed disk on its DMA port, with the ring disabled.
     *
     * @param port the port the machine gave this master
     * @param sectors the disk's size in sectors, from 1 to 2^21 (1 GiB)
     * @throws NullPointerException if {@code port} is null
     * @throws IllegalArgumentException if {@code sectors} is out of range
     */
    public BlockDevice(DmaPort port, int sectors) {
        this.port = Objects.requireNonNull(port, "port");
        // 2^21 sectors: the disk is one Java array of at most 1 GiB, byte offsets fit an int
        if (sectors < 1 || sectors > (1 << 21)) {
            throw new IllegalArgumentException("sectors=" + sectors + " must be from 1 to " + (1 << 21));
        }
        this.disk = new byte[sectors * SECTOR];
    }

    /** {@return the disk's size in sectors} */
    public int sectors() {
        return disk.length / SECTOR;
    }

    /**
     * Writes the ring registers (base, size) and resets the head to request 0; {@code entries
     * = 0} disables the ring.
     *
     * @param ringDmaAddress the DMA address of request 0
     * @param ringEntries requests in the ring, not negative
     * @throws IllegalArgumentException if {@code ringEntries} is negative
     */
    public synchronized void configure(long ringDmaAddress, int ringEntries) {
        if (ringEntries < 0) {
            throw new IllegalArgumentException("ringEntries=" + ringEntries + " must not be negative");
        }
        this.base = ringDmaAddress;
        this.entries = ringEntries;
        this.head = 0;
    }

    /** Disables the ring: the device touches no memory afterwards. */
    public synchronized void reset() {
        configure(0, 0);
    }

    /**
     * Writes the tail register: executes every owned request from the head up to (not
     * including) {@code tail}, stopping at the first the device does not own.
     *
     * @param tail one past the last request filled, from 0 to {@code entries - 1}
     * @throws IllegalArgumentException if the ring is disabled or {@code tail} is out of range
     */
    public synchronized void writeTail(int tail) {
        if (tail < 0 || tail >= entries) {
            throw new IllegalArgumentException("tail=" + tail + " must be from 0 to "
                    + (entries - 1) + " (entries=" + entries + ")");
        }
        while (head != tail) {
            long slot = base + (long) head * REQUEST_BYTES;
            byte[] raw = new byte[REQUEST_BYTES];
            if (!port.read(slot, raw, 0, raw.length).ok()) {
                ringAborts++;
                return;
            }
            ByteBuffer d = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            if ((d.getInt(STATUS) & OWN) == 0) {
                return;
            }
            head = (head + 1) % entries;
            long moved = execute(d);
            requests++;
            byte[] done = new byte[REQUEST_BYTES - STATUS];
            ByteBuffer.wrap(done).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(0, moved < 0 ? ERROR : 0).putInt(DONE_BYTES - STATUS, (int) Math.max(moved, 0));
            if (port.write(slot + STATUS, done, 0, done.length) != DmaStatus.OK) {
                // not completed: the driver never sees its status, with or without ERROR
                ringAborts++;
                return;
            }
            if (moved < 0) {
                errors++;
            }
        }
    }

    /**
     * Returns a copy of {@code count} sectors from {@code sector}: the model's back door, for
     * tests and scenarios that check what reached the disk.
     *
     * @param sector the first sector
     * @param count sectors, with the range inside the disk
     * @return the bytes
     * @throws IndexOutOfBoundsException if the range is outside the disk
     */
    public synchronized byte[] peek(long sector, int count) {
        Objects.checkFromIndexSize(sector, count, sectors());
        int from = (int) sector * SECTOR;
        return Arrays.copyOfRange(disk, from, from + count * SECTOR);
    }

    /** {@return requests executed, with or without error (one whose status write was refused too)} */
    public synchronized long requests() {
        return requests;
    }

    /** {@return requests completed with {@link #ERROR} (their status written back)} */
    public synchronized long errors() {
        return errors;
    }

    /**
     * {@return request reads and status writes that the bus refused (the ring is unusable); a
     * request whose status write was refused is not completed, so it is counted here only}
     */
    public synchronized long ringAborts() {
        return ringAborts;
    }

    /** {@return bytes read from the disk into memory} */
    public synchronized long bytesRead() {
        return bytesRead;
    }

    /** {@return bytes written from memory to the disk} */
    public synchronized long bytesWritten() {
        return bytesWritten;
    }

    /** Runs one request; returns the bytes moved, or -1 if it failed. */
    private long execute(ByteBuffer d) {
        int count = d.getInt(COUNT);
        int op = d.getInt(OP);
        long sector = d.getLong(SECTOR_FIELD);
        if (count < 1 || count > MAX_SEGMENTS || (op != OP_READ && op != OP_WRITE)) {
            return -1;
        }
        byte[] table = new byte[count * SEGMENT_BYTES];
        if (!port.read(d.getLong(TABLE), table, 0, table.length).ok()) {
            return -1;
        }
        ByteBuffer t = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        long total = 0;
        for (int i = 0; i < count; i++) {
            long length = Integer.toUnsignedLong(t.getInt(i * SEGMENT_BYTES + 8));
            if (length == 0) {
                return -1;
            }
            total += length;
        }
        if (total % SECTOR != 0 || sector < 0 || sector > sectors() - total / SECTOR) {
            return -1;
        }
        int at = (int) sector * SECTOR;
        if (op == OP_WRITE) {
            byte[] data = new byte[(int) total];
            int pos = 0;
            for (int i = 0; i < count; i++) {
                int length = t.getInt(i * SEGMENT_BYTES + 8);
                if (!port.read(t.getLong(i * SEGMENT_BYTES), data, pos, length).ok()) {
                    return -1;
                }
                pos += length;
            }
            System.arraycopy(data, 0, disk, at, data.length);
            bytesWritten += total;
        } else {
            int pos = at;
            for (int i = 0; i < count; i++) {
                int length = t.getInt(i * SEGMENT_BYTES + 8);
                if (!port.write(t.getLong(i * SEGMENT_BYTES), disk, pos, length).ok()) {
                    return -1;
                }
                pos += length;
            }
            bytesRead += total;
        }
        return total;
    }
}

package org.dmalib.examples;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;

/**
 * Device model of an Ethernet NIC with one RX and one TX descriptor ring: the hardware side of
 * the example. Everything it touches in memory it reaches through its {@link DmaPort}, as a DMA
 * master: the descriptor rings (which its driver keeps in coherent memory) and the packet
 * buffers they point to. On a non-coherent stream it sees RAM, never CPU caches.
 *
 * <p>A descriptor is {@value #DESCRIPTOR_BYTES} bytes, little-endian: the buffer's DMA address
 * (u64 at {@value #ADDRESS}), a length (u32 at {@value #LENGTH}) and a status (u32 at
 * {@value #STATUS}) whose bit {@link #OWN} says the device owns the descriptor and bit
 * {@link #ERROR} that the device could not complete it.
 *
 * <ul>
 *   <li>RX: the driver posts empty buffers (address, capacity, OWN). A frame arriving from the
 *       wire ({@link #receive}) goes into the descriptor at the RX head if the device owns it:
 *       the frame is written to the buffer, then the descriptor gets the frame's length and
 *       OWN clear (ERROR set if the buffer could not be written or is too small). A frame
 *       arriving when the head descriptor is not the device's is dropped.
 *   <li>TX: the driver fills descriptors (address, length, OWN) and writes the TX tail
 *       ({@link #writeTxTail}); the device sends every owned descriptor from its TX head up to
 *       the tail: reads the packet, puts it on the wire ({@link #drainWire}), clears OWN (ERROR
 *       set if the packet could not be read).
 * </ul>
 *
 * <p>The model completes work before the register write or the arrival returns; a driver finds
 * the completions in the rings as it would on hardware.
 *
 * <p>Thread-safety: safe for concurrent use (register accesses and arrivals are serialized).
 */
public final class Nic {
    /** Bytes per descriptor. */
    public static final int DESCRIPTOR_BYTES = 16;
    /** Offset of the buffer's DMA address (u64) in a descriptor. */
    public static final int ADDRESS = 0;
    /** Offset of the length (u32): the capacity posted for RX, the packet length for TX. */
    public static final int LENGTH = 8;
    /** Offset of the status word (u32). */
    public static final int STATUS = 12;
    /** Status bit: the device owns the descriptor. */
    public static final int OWN = 1;
    /** Status bit: the device could not complete the descriptor (a DMA abort, a short buffer). */
    public static final int ERROR = 2;
    /** The largest frame the NIC takes: an Ethernet frame without FCS, 1514 bytes. */
    public static final int MAX_FRAME = 1514;

    private final DmaPort port;
    private final Ring rx = new Ring();
    private final Ring tx = new Ring();
    private final List<byte[]> wire = new ArrayList<>();
    private long rxFrames;
    private long rxDropped;
    private long rxErrors;
    private long txFrames;
    private long txErrors;
    private long ringAborts;

    /** One descriptor ring's registers. */
    private static final class Ring {
        long base;
        int entries;
        int head;

        long slot(int index) {
            return base + (long) index * DESCRIPTOR_BYTES;
        }
    }

    /**
     * Creates the NIC on its DMA port, with both rings disabled.
     *
     * @param port the port the machine gave this master
     * @throws NullPointerException if {@code port} is null
     */
    public Nic(DmaPort port) {
        this.port = Objects.requireNonNull(port, "port");
    }

    /**
     * Writes the RX ring registers (base, size) and resets the RX head to descriptor 0;
     * {@code entries = 0} disables RX.
     *
     * @param ringDmaAddress the DMA address of descriptor 0
     * @param entries descriptors in the ring, not negative
     * @throws IllegalArgumentException if {@code entries} is negative
     */
    public synchronized void configureRx(long ringDmaAddress, int entries) {
        configure(rx, ringDmaAddress, entries);
    }

    /**
     * Writes the TX ring registers (base, size) and resets the TX head to descriptor 0;
     * {@code entries = 0} disables TX.
     *
     * @param ringDmaAddress the DMA address of descriptor 0
     * @param entries descriptors in the ring, not negative
     * @throws IllegalArgumentException if {@code entries} is negative
     */
    public synchronized void configureTx(long ringDmaAddress, int entries) {
        configure(tx, ringDmaAddress, entries);
    }

    /** Disables both rings: the device touches no memory afterwards (driver stop). */
    public synchronized void reset() {
        configure(rx, 0, 0);
        configure(tx, 0, 0);
    }

    /**
     * A frame arrives from the wire.
     *
     * @param frame the frame, 1 to {@link #MAX_FRAME} bytes
     * @return whether it was delivered into a posted buffer (false: dropped, completed with
     *     ERROR, or not completed because the descriptor's status write was refused, which
     *     counts only as a ring abort)
     * @throws IllegalArgumentException if the frame's length is out of range
     */
    public synchronized boolean receive(byte[] frame) {
        if (frame.length < 1 || frame.length > MAX_FRAME) {
            throw new IllegalArgumentException(
                    "frame.length=" + frame.length + " must be from 1 to " + MAX_FRAME);
        }
        if (rx.entries == 0) {
            rxDropped++;
            return false;
        }
        long slot = rx.slot(rx.head);
        ByteBuffer d = readDescriptor(slot);
        if (d == null || (d.getInt(STATUS) & OWN) == 0) {
            rxDropped++;
            return false;
        }
        long address = d.getLong(ADDRESS);
        int capacity = d.getInt(LENGTH);
        boolean ok = frame.length <= capacity && port.write(address, frame, 0, frame.length).ok();
        rx.head = (rx.head + 1) % rx.entries;
        if (!writeStatus(slot, ok ? frame.length : 0, ok ? 0 : ERROR)) {
            return false;
        }
        if (ok) {
            rxFrames++;
        } else {
            rxErrors++;
        }
        return ok;
    }

    /**
     * Writes the TX tail register: sends every descriptor from the TX head up to (not
     * including) {@code tail} that the device owns, stopping at the first it does not own.
     *
     * @param tail the index one past the last descriptor the driver filled, from 0 to
     *     {@code entries - 1}
     * @throws IllegalArgumentException if TX is disabled or {@code tail} is out of range
     */
    public synchronized void writeTxTail(int tail) {
        if (tail < 0 || tail >= tx.entries) {
            throw new IllegalArgumentException("tail=" + tail + " must be from 0 to "
                    + (tx.entries - 1) + " (TX entries=" + tx.entries + ")");
        }
        while (tx.head != tail) {
            long slot = tx.slot(tx.head);
            ByteBuffer d = readDescriptor(slot);
            if (d == null || (d.getInt(STATUS) & OWN) == 0) {
                return;
            }
            int length = d.getInt(LENGTH);
            byte[] packet = new byte[Math.max(0, Math.min(length, MAX_FRAME))];
            boolean ok = length == packet.length && length > 0
                    && port.read(d.getLong(ADDRESS), packet, 0, length).ok();
            tx.head = (tx.head + 1) % tx.entries;
            if (!writeStatus(slot, length, ok ? 0 : ERROR)) {
                return;
            }
            if (ok) {
                wire.add(packet);
                txFrames++;
            } else {
                txErrors++;
            }
        }
    }

    /**
     * {@return the packets sent since the last call, oldest first} The wire is emptied: the next
     * call returns only packets sent after this one.
     */
    public synchronized List<byte[]> drainWire() {
        List<byte[]> out = List.copyOf(wire);
        wire.clear();
        return out;
    }

    /** {@return frames delivered into posted buffers} */
    public synchronized long rxFrames() {
        return rxFrames;
    }

    /**
     * {@return frames dropped: RX disabled, the head descriptor not the device's, or the head
     * descriptor unreadable (also a ring abort)}
     */
    public synchronized long rxDropped() {
        return rxDropped;
    }

    /** {@return RX descriptors completed with {@link #ERROR}} */
    public synchronized long rxErrors() {
        return rxErrors;
    }

    /** {@return packets put on the wire} */
    public synchronized long txFrames() {
        return txFrames;
    }

    /** {@return TX descriptors completed with {@link #ERROR}} */
    public synchronized long txErrors() {
        return txErrors;
    }

    /** {@return descriptor reads or status writes that the bus refused (the ring is unusable)} */
    public synchronized long ringAborts() {
        return ringAborts;
    }

    private static void configure(Ring ring, long base, int entries) {
        if (entries < 0) {
            throw new IllegalArgumentException("entries=" + entries + " must not be negative");
        }
        ring.base = base;
        ring.entries = entries;
        ring.head = 0;
    }

    /** Reads one descriptor, or returns null (counted) if the bus refused the read. */
    private ByteBuffer readDescriptor(long slot) {
        byte[] raw = new byte[DESCRIPTOR_BYTES];
        if (port.read(slot, raw, 0, raw.length) != DmaStatus.OK) {
            ringAborts++;
            return null;
        }
        return ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes a descriptor's length and status (OWN clear); false (counted) if refused. */
    private boolean writeStatus(long slot, int length, int status) {
        byte[] raw = new byte[DESCRIPTOR_BYTES - LENGTH];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putInt(0, length).putInt(STATUS - LENGTH, status);
        if (port.write(slot + LENGTH, raw, 0, raw.length) != DmaStatus.OK) {
            ringAborts++;
            return false;
        }
        return true;
    }
}

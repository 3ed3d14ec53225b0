package org.dmalib.examples;

import java.util.Objects;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;

/**
 * Device model of a memory-to-memory DMA copy engine: the hardware side of the example. It has a
 * register interface (source bus address, destination bus address, length, start) and moves
 * data only through its {@link DmaPort}: it reads the source and writes the destination as a
 * DMA master on its stream. On a non-coherent stream it therefore sees RAM, never CPU caches.
 *
 * <p>Thread-safety: safe for concurrent use (register accesses are serialized, as a device's
 * register file would serialize MMIO); a driver normally owns it from one thread.
 */
public final class CopyEngine {
    private final DmaPort port;
    private long source;
    private long destination;
    private int length;
    private DmaStatus status = DmaStatus.OK;
    private long bytesMoved;

    /**
     * Creates the engine on its DMA port.
     *
     * @param port the port the machine gave this master ({@code machine.attach})
     * @throws NullPointerException if {@code port} is null
     */
    public CopyEngine(DmaPort port) {
        this.port = Objects.requireNonNull(port, "port");
    }

    /**
     * Writes the SRC register.
     *
     * @param busAddress the DMA address of the first source byte
     */
    public synchronized void writeSource(long busAddress) {
        this.source = busAddress;
    }

    /**
     * Writes the DST register.
     *
     * @param busAddress the DMA address of the first destination byte
     */
    public synchronized void writeDestination(long busAddress) {
        this.destination = busAddress;
    }

    /**
     * Writes the LEN register.
     *
     * @param bytes how many bytes the next start copies, not negative
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public synchronized void writeLength(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes=" + bytes + " must not be negative");
        }
        this.length = bytes;
    }

    /**
     * Writes the START register: reads LEN bytes at SRC through the port, then writes them at
     * DST. Completes before returning (the model has no asynchronous completion).
     *
     * @return the STATUS register: {@link DmaStatus#ABORT} if either burst was refused (then
     *     the destination is unchanged)
     */
    public synchronized DmaStatus start() {
        byte[] data = new byte[length];
        status = port.read(source, data, 0, length);
        if (status.ok()) {
            status = port.write(destination, data, 0, length);
        }
        if (status.ok()) {
            bytesMoved += length;
        }
        return status;
    }

    /** {@return the STATUS register: the outcome of the last start} */
    public synchronized DmaStatus status() {
        return status;
    }

    /** {@return the BYTES counter: bytes copied by every successful start so far} */
    public synchronized long bytesMoved() {
        return bytesMoved;
    }
}

package org.dmalib.examples;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.dmalib.dma.ops.CoherentBuffer;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.DmaMapping;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;

/**
 * A third-party-style driver for {@link Nic}, written against the public DMA API only
 * ({@code org.dmalib.dma.ops}).
 *
 * <ul>
 *   <li>{@link #start()}: both descriptor rings in coherent memory ({@code allocCoherent}); one
 *       {@value #BUFFER_SIZE}-byte RX buffer per RX descriptor (two per page), each mapped
 *       FROM_DEVICE once for the driver's life and posted.
 *   <li>{@link #receive()}: for every completed RX descriptor, {@code syncForCpu} of the frame's
 *       bytes, a copy of the frame for the caller, {@code syncForDevice} of the same bytes and
 *       the descriptor posted again (the buffer is recycled, never unmapped).
 *   <li>{@link #transmit(byte[])}: the packet is copied into the slot's TX buffer, mapped
 *       TO_DEVICE for this packet alone, and its DMA address and length posted; the ring keeps
 *       only those two numbers. {@link #reapTx()} unmaps each completed packet by them
 *       ({@code unmapSingle(cpu, dmaAddress, length, TO_DEVICE)}, as Linux drivers that keep
 *       {@code dma_unmap_addr} in their rings do).
 *   <li>{@link #stop()}: the NIC is reset, every mapping unmapped, the rings freed, then the
 *       device detached.
 * </ul>
 *
 * <p>The {@link DriverMistake} seeds one bug: {@code MISSING_SYNC_FOR_CPU} reads frames without
 * {@code syncForCpu}; {@code WRONG_DIRECTION} maps the RX buffers TO_DEVICE; {@code
 * DOUBLE_UNMAP} unmaps the first completed TX packet twice; {@code LEAK_AT_DETACH} never unmaps
 * it; {@code UNCHECKED_RESULT} posts TX addresses without {@code mappingError}.
 *
 * <p>Thread-safety: not thread-safe; one thread (the NIC's interrupt and softirq context in
 * Linux terms) drives it, on the CPU it was given.
 */
public final class NicDriver {
    /** Bytes per RX and TX buffer: half a page, as many Linux drivers split their pages. */
    public static final int BUFFER_SIZE = 2048;
    /** The fewest descriptors per ring. */
    public static final int MIN_ENTRIES = 2;
    /** The most descriptors per ring: 64 KiB of descriptors. */
    public static final int MAX_ENTRIES = 4096;

    // two buffers per 4 KiB page
    private static final int BUFFERS_PER_PAGE = 2;
    private static final int PAGE = 4096;

    private final DmaDevice dev;
    private final Nic nic;
    private final Cpu cpu;
    private final int entries;
    private final DriverMistake mistake;

    private final List<CpuBuffer> pages = new ArrayList<>();
    private CoherentBuffer rxRing;
    private CoherentBuffer txRing;
    private CpuBuffer[] rxPage;
    private DmaMapping[] rxMap;
    private CpuBuffer[] txPage;
    // what the TX ring keeps of each in-flight packet's mapping: address and length only
    private long[] txDma;
    private int[] txLength;
    private int rxNext;
    private int txNext;
    private int txClean;
    private int txInFlight;
    private boolean firstTxCompleted;
    private boolean started;
    private boolean stopped;
    private long rxFrames;
    private long rxErrors;
    private long txPackets;
    private long txErrors;

    /**
     * Binds the driver to its device; nothing is allocated until {@link #start()}.
     *
     * @param dev the DMA API handle of the NIC's stream
     * @param nic the NIC's registers
     * @param cpu the CPU the driver runs on, of the device's machine
     * @param entries descriptors per ring, from {@value #MIN_ENTRIES} to {@value #MAX_ENTRIES}
     * @param mistake the one bug to make, or {@link DriverMistake#CORRECT}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code entries} is out of range
     */
    public NicDriver(DmaDevice dev, Nic nic, Cpu cpu, int entries, DriverMistake mistake) {
        this.dev = Objects.requireNonNull(dev, "dev");
        this.nic = Objects.requireNonNull(nic, "nic");
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.mistake = Objects.requireNonNull(mistake, "mistake");
        if (entries < MIN_ENTRIES || entries > MAX_ENTRIES) {
            throw new IllegalArgumentException("entries=" + entries + " must be from "
                    + MIN_ENTRIES + " to " + MAX_ENTRIES);
        }
        this.entries = entries;
    }

    /**
     * Allocates the rings and buffers, maps and posts every RX buffer, and enables the NIC. If
     * anything fails, whatever was allocated or mapped is released again and the driver is left
     * as it was: not running, and it may be started again.
     *
     * @throws IllegalStateException if the driver was started already
     * @throws org.dmalib.dma.ops.DmaMappingException if memory or IOVA space runs out
     */
    public void start() {
        if (started) {
            throw new IllegalStateException("driver for streamId=" + dev.streamId() + " is started already");
        }
        rxPage = new CpuBuffer[entries];
        rxMap = new DmaMapping[entries];
        txPage = new CpuBuffer[entries];
        txDma = new long[entries];
        txLength = new int[entries];
        try {
            rxRing = dev.allocCoherent(cpu, entries * Nic.DESCRIPTOR_BYTES);
            txRing = dev.allocCoherent(cpu, entries * Nic.DESCRIPTOR_BYTES);
            DmaDirection rxDirection = mistake == DriverMistake.WRONG_DIRECTION
                    ? DmaDirection.TO_DEVICE // bug: the device writes these buffers
                    : DmaDirection.FROM_DEVICE;
            for (int i = 0; i < entries; i++) {
                rxPage[i] = bufferPage(i);
                txPage[i] = i % BUFFERS_PER_PAGE == 0 ? dev.memory().allocate(PAGE) : txPage[i - 1];
                if (i % BUFFERS_PER_PAGE == 0) {
                    pages.add(txPage[i]);
                }
                rxMap[i] = dev.mapSingle(cpu, rxPage[i].paddr() + offset(i), BUFFER_SIZE, rxDirection);
                post(rxRing, i, rxMap[i].dmaAddress(), BUFFER_SIZE);
            }
        } catch (RuntimeException e) {
            release();
            throw e;
        }
        nic.configureRx(rxRing.dmaAddress(), entries);
        nic.configureTx(txRing.dmaAddress(), entries);
        // only now: a start that threw left nothing to receive into, transmit from or stop
        started = true;
    }

    /**
     * Takes every frame the NIC has completed, in order, and posts the buffers again. A
     * descriptor completed with {@link Nic#ERROR} delivers nothing and is counted.
     *
     * @return the frames, each a fresh array as the CPU read it
     * @throws IllegalStateException if the driver is not running
     * @throws org.dmalib.dma.ops.DmaDebugException in THROW mode, from the read of a frame the
     *     device still owns ({@link DriverMistake#MISSING_SYNC_FOR_CPU}) or from the sync of a
     *     buffer mapped TO_DEVICE ({@link DriverMistake#WRONG_DIRECTION}, direct path)
     */
    public List<byte[]> receive() {
        checkRunning();
        List<byte[]> frames = new ArrayList<>();
        for (int n = 0; n < entries; n++) {
            int slot = rxNext;
            ByteBuffer d = descriptor(rxRing, slot);
            int status = d.getInt(Nic.STATUS);
            if ((status & Nic.OWN) != 0) {
                break;
            }
            DmaMapping m = rxMap[slot];
            if ((status & Nic.ERROR) != 0) {
                rxErrors++;
            } else {
                int length = d.getInt(Nic.LENGTH);
                // by address and with the direction the ring needs, as Linux drivers sync
                if (mistake != DriverMistake.MISSING_SYNC_FOR_CPU) {
                    dev.syncSingleForCpu(cpu, m.dmaAddress(), length, DmaDirection.FROM_DEVICE);
                } // else bug: the CPU reads a buffer the device still owns
                frames.add(rxPage[slot].read(cpu, offset(slot), length));
                // the bytes the CPU took go back to the device before the buffer is reposted
                dev.syncSingleForDevice(cpu, m.dmaAddress(), length, DmaDirection.FROM_DEVICE);
                rxFrames++;
            }
            post(rxRing, slot, m.dmaAddress(), BUFFER_SIZE);
            rxNext = (slot + 1) % entries;
        }
        return frames;
    }

    /**
     * Queues one packet: copies it into the next TX buffer, maps it TO_DEVICE with {@code
     * mapPage} (the ring keeps only the address and length), checks the result with {@code
     * mappingError}, posts it and writes the TX tail. When the ring is full, completed packets
     * are reaped first.
     *
     * @param packet 1 to {@link Nic#MAX_FRAME} bytes
     * @return false if the ring is still full or the packet cannot be mapped now (nothing was
     *     queued)
     * @throws IllegalArgumentException if the packet's length is out of range
     * @throws IllegalStateException if the driver is not running
     * @throws NullPointerException if {@code packet} is null
     * @throws org.dmalib.dma.ops.DmaDebugException in THROW mode, from the write into the TX
     *     buffer of the packet {@link DriverMistake#LEAK_AT_DETACH} never unmapped, once the ring
     *     comes round to it
     */
    public boolean transmit(byte[] packet) {
        checkRunning();
        Objects.requireNonNull(packet, "packet");
        if (packet.length < 1 || packet.length > Nic.MAX_FRAME) {
            throw new IllegalArgumentException(
                    "packet.length=" + packet.length + " must be from 1 to " + Nic.MAX_FRAME);
        }
        // one slot stays empty: head == tail means an empty ring
        if (txInFlight == entries - 1 && reapTx() == 0) {
            return false;
        }
        int slot = txNext;
        txPage[slot].write(cpu, offset(slot), packet);
        long dma = dev.mapPage(cpu, txPage[slot].paddr() + offset(slot), packet.length,
                DmaDirection.TO_DEVICE);
        if (mistake != DriverMistake.UNCHECKED_RESULT && dev.mappingError(dma)) {
            return false; // no bounce buffer, IOVA or table memory now: the caller retries
        } // else bug: the address goes to the NIC unchecked
        txDma[slot] = dma;
        txLength[slot] = packet.length;
        post(txRing, slot, txDma[slot], packet.length);
        txNext = (slot + 1) % entries;
        txInFlight++;
        nic.writeTxTail(txNext);
        return true;
    }

    /**
     * Unmaps every TX packet the NIC has completed, oldest first, by the DMA address and length
     * the ring kept.
     *
     * @return the packets reaped
     * @throws IllegalStateException if the driver is not running
     * @throws org.dmalib.dma.ops.DmaUsageException from the second unmap of
     *     {@link DriverMistake#DOUBLE_UNMAP}; in THROW mode, as a {@link
     *     org.dmalib.dma.ops.DmaDebugException}, from the unmap of a packet whose map result was
     *     never checked ({@link DriverMistake#UNCHECKED_RESULT})
     */
    public int reapTx() {
        checkRunning();
        int n = 0;
        while (txInFlight > 0) {
            int slot = txClean;
            int status = descriptor(txRing, slot).getInt(Nic.STATUS);
            if ((status & Nic.OWN) != 0) {
                break;
            }
            if ((status & Nic.ERROR) != 0) {
                txErrors++;
            } else {
                txPackets++;
            }
            txClean = (slot + 1) % entries;
            txInFlight--;
            n++;
            unmapTx(slot);
        }
        return n;
    }

    /**
     * Stops the driver: resets the NIC, reaps what completed, unmaps every packet and RX buffer,
     * frees the rings and buffers, then detaches the device.
     *
     * @throws IllegalStateException if the driver is not running
     * @throws org.dmalib.dma.ops.DmaLeakException from the detach if a mapping is still pending
     *     ({@link DriverMistake#LEAK_AT_DETACH}); the driver is stopped all the same
     */
    public void stop() {
        checkRunning();
        nic.reset();
        reapTx();
        stopped = true;
        release();
        dev.detach();
    }

    /** {@return frames delivered by {@link #receive()}} */
    public long rxFrames() {
        return rxFrames;
    }

    /** {@return RX descriptors the NIC completed with an error} */
    public long rxErrors() {
        return rxErrors;
    }

    /** {@return TX packets the NIC completed without error} */
    public long txPackets() {
        return txPackets;
    }

    /** {@return TX descriptors the NIC completed with an error} */
    public long txErrors() {
        return txErrors;
    }

    /** {@return TX packets posted and not yet reaped} */
    public int txInFlight() {
        return txInFlight;
    }

    private void unmapTx(int slot) {
        long dma = txDma[slot];
        int length = txLength[slot];
        boolean first = !firstTxCompleted;
        firstTxCompleted = true;
        if (first && mistake == DriverMistake.LEAK_AT_DETACH) {
            return; // bug: this completion path forgets the unmap
        }
        dev.unmapSingle(cpu, dma, length, DmaDirection.TO_DEVICE);
        if (first && mistake == DriverMistake.DOUBLE_UNMAP) {
            dev.unmapSingle(cpu, dma, length, DmaDirection.TO_DEVICE); // bug: unmapped again
        }
    }

    /** Unmaps and frees everything this driver holds; safe on a half-done start. */
    private void release() {
        // packets the NIC never completed: it is reset, so they are the driver's again
        while (txInFlight > 0) {
            int slot = txClean;
            txClean = (slot + 1) % entries;
            txInFlight--;
            dev.unmapSingle(cpu, txDma[slot], txLength[slot], DmaDirection.TO_DEVICE);
        }
        for (int i = 0; i < entries; i++) {
            if (rxMap[i] != null) {
                rxMap[i].unmap(cpu);
                rxMap[i] = null;
            }
        }
        if (rxRing != null) {
            rxRing.free();
            rxRing = null;
        }
        if (txRing != null) {
            txRing.free();
            txRing = null;
        }
        for (CpuBuffer p : pages) {
            dev.memory().free(p);
        }
        pages.clear();
    }

    private CpuBuffer bufferPage(int i) {
        if (i % BUFFERS_PER_PAGE != 0) {
            return rxPage[i - 1];
        }
        CpuBuffer p = dev.memory().allocate(PAGE);
        pages.add(p);
        return p;
    }

    private void checkRunning() {
        if (!started || stopped) {
            throw new IllegalStateException("driver for streamId=" + dev.streamId() + " is not running");
        }
    }

    private static int offset(int slot) {
        return (slot % BUFFERS_PER_PAGE) * BUFFER_SIZE;
    }

    private ByteBuffer descriptor(CoherentBuffer ring, int slot) {
        return ByteBuffer.wrap(ring.read(cpu, slot * Nic.DESCRIPTOR_BYTES, Nic.DESCRIPTOR_BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Hands descriptor {@code slot} to the device: address, length, OWN in one store. */
    private void post(CoherentBuffer ring, int slot, long dmaAddress, int length) {
        byte[] raw = new byte[Nic.DESCRIPTOR_BYTES];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(Nic.ADDRESS, dmaAddress).putInt(Nic.LENGTH, length).putInt(Nic.STATUS, Nic.OWN);
        ring.write(cpu, slot * Nic.DESCRIPTOR_BYTES, raw);
    }
}

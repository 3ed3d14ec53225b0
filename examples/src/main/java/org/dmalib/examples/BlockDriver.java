package org.dmalib.examples;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.dmalib.dma.ops.CoherentBuffer;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.DmaMapping;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;

/**
 * A third-party-style driver for {@link BlockDevice}, written against the public DMA API only
 * ({@code org.dmalib.dma.ops}).
 *
 * <ul>
 *   <li>{@link #start()}: the request ring and one segment table per request slot in coherent
 *       memory ({@code allocCoherent}).
 *   <li>{@link #submit}: the request's scatterlist is mapped with {@code mapSg} (TO_DEVICE for a
 *       write, FROM_DEVICE for a read); the <em>DMA</em> segments it returns (merged over an
 *       IOMMU, one per input segment on the direct path) go into the slot's segment table; the
 *       request is posted and the tail written.
 *   <li>{@link #reap()}: every completed request is unmapped (which gives a read's buffers to
 *       the CPU) and only then handed back to the caller.
 *   <li>{@link #stop()}: the device is reset, every mapping unmapped, the ring and tables freed,
 *       then the device detached.
 * </ul>
 *
 * <p>The {@link DriverMistake} seeds one bug: {@code MISSING_SYNC_FOR_CPU} hands completions
 * back before unmapping them (the unmaps are deferred to the next reap, so the caller reads a
 * read's buffers while the device still owns them); {@code WRONG_DIRECTION} maps read requests
 * TO_DEVICE; {@code DOUBLE_UNMAP} unmaps the first completed request twice;
 * {@code LEAK_AT_DETACH} never unmaps it.
 *
 * <p>Thread-safety: not thread-safe; one thread drives it, on the CPU it was given.
 */
public final class BlockDriver {
    /** The most segments a request may have, input or DMA: the device's limit. */
    public static final int MAX_SEGMENTS = BlockDevice.MAX_SEGMENTS;

    private final DmaDevice dev;
    private final BlockDevice disk;
    private final Cpu cpu;
    private final int entries;
    private final DriverMistake mistake;

    private CoherentBuffer ring;
    private CoherentBuffer tables;
    private BlockRequest[] requests;
    private DmaMapping[] mappings;
    // MISSING_SYNC_FOR_CPU: mappings of completions already handed back, unmapped late
    private final List<DmaMapping> deferred = new ArrayList<>();
    private int next;
    private int clean;
    private int inFlight;
    private boolean firstCompleted;
    private boolean started;
    private boolean stopped;
    private long segmentsMapped;
    private long dmaSegmentsPosted;

    /**
     * Binds the driver to its device; nothing is allocated until {@link #start()}.
     *
     * @param dev the DMA API handle of the disk's stream
     * @param disk the disk's registers
     * @param cpu the CPU the driver runs on, of the device's machine
     * @param entries request slots, from {@value NicDriver#MIN_ENTRIES} to
     *     {@value NicDriver#MAX_ENTRIES}; {@code entries - 1} requests can be in flight
     * @param mistake the one bug to make, or {@link DriverMistake#CORRECT}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code entries} is out of range
     */
    public BlockDriver(DmaDevice dev, BlockDevice disk, Cpu cpu, int entries, DriverMistake mistake) {
        this.dev = Objects.requireNonNull(dev, "dev");
        this.disk = Objects.requireNonNull(disk, "disk");
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.mistake = Objects.requireNonNull(mistake, "mistake");
        if (mistake == DriverMistake.UNCHECKED_RESULT) {
            throw new IllegalArgumentException("mistake=" + mistake
                    + " has no place in this driver: mapSg returns a handle, never an error value");
        }
        if (entries < NicDriver.MIN_ENTRIES || entries > NicDriver.MAX_ENTRIES) {
            throw new IllegalArgumentException("entries=" + entries + " must be from "
                    + NicDriver.MIN_ENTRIES + " to " + NicDriver.MAX_ENTRIES);
        }
        this.entries = entries;
    }

    /**
     * Allocates the ring and the segment tables and enables the device. If an allocation
     * fails, the other is freed again and the driver is left as it was: not running, and it may
     * be started again.
     *
     * @throws IllegalStateException if the driver was started already
     * @throws org.dmalib.dma.ops.DmaMappingException if memory or IOVA space runs out
     */
    public void start() {
        if (started) {
            throw new IllegalStateException("driver for streamId=" + dev.streamId() + " is started already");
        }
        CoherentBuffer newRing = dev.allocCoherent(cpu, entries * BlockDevice.REQUEST_BYTES);
        try {
            tables = dev.allocCoherent(cpu, entries * MAX_SEGMENTS * BlockDevice.SEGMENT_BYTES);
        } catch (RuntimeException e) {
            newRing.free();
            throw e;
        }
        ring = newRing;
        requests = new BlockRequest[entries];
        mappings = new DmaMapping[entries];
        disk.configure(ring.dmaAddress(), entries);
        // only now: a start that threw left no ring to submit to, reap or stop
        started = true;
    }

    /** {@return how many more requests can be submitted before one is reaped} */
    public int freeSlots() {
        return entries - 1 - inFlight;
    }

    /**
     * Maps the request's buffers, posts it and writes the tail.
     *
     * @param request the request; its buffers belong to the device until it is reaped
     * @return the request's tag, as its completion will carry it
     * @throws IllegalStateException if the driver is not running or no slot is free
     * @throws org.dmalib.dma.ops.DmaUsageException if a segment is outside memory or too long
     * @throws org.dmalib.dma.ops.DmaMappingException if the buffers cannot be mapped
     */
    public int submit(BlockRequest request) {
        checkRunning();
        Objects.requireNonNull(request, "request");
        if (freeSlots() == 0) {
            throw new IllegalStateException("all " + (entries - 1) + " request slots are in flight");
        }
        DmaDirection dir = request.op() == BlockRequest.Op.WRITE ? DmaDirection.TO_DEVICE
                : mistake == DriverMistake.WRONG_DIRECTION ? DmaDirection.TO_DEVICE // bug
                : DmaDirection.FROM_DEVICE;
        DmaMapping m = dev.mapSg(cpu, request.segments(), dir);
        int slot = next;
        List<DmaSegment> segments = m.dmaSegments();
        // merging never makes more DMA segments than input segments, which the request bounds
        byte[] table = new byte[segments.size() * BlockDevice.SEGMENT_BYTES];
        ByteBuffer t = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < segments.size(); i++) {
            t.putLong(i * BlockDevice.SEGMENT_BYTES, segments.get(i).dmaAddress());
            t.putInt(i * BlockDevice.SEGMENT_BYTES + 8, (int) segments.get(i).dmaLength());
        }
        int tableOffset = slot * MAX_SEGMENTS * BlockDevice.SEGMENT_BYTES;
        tables.write(cpu, tableOffset, table);
        byte[] raw = new byte[BlockDevice.REQUEST_BYTES];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(BlockDevice.SECTOR_FIELD, request.sector())
                .putLong(BlockDevice.TABLE, tables.dmaAddress() + tableOffset)
                .putInt(BlockDevice.COUNT, segments.size())
                .putInt(BlockDevice.OP, request.op() == BlockRequest.Op.WRITE
                        ? BlockDevice.OP_WRITE : BlockDevice.OP_READ)
                .putInt(BlockDevice.STATUS, BlockDevice.OWN);
        // the table is in place before the request that points to it is handed over
        ring.write(cpu, slot * BlockDevice.REQUEST_BYTES, raw);
        requests[slot] = request;
        mappings[slot] = m;
        segmentsMapped += request.segments().size();
        dmaSegmentsPosted += segments.size();
        next = (slot + 1) % entries;
        inFlight++;
        disk.writeTail(next);
        return slot;
    }

    /**
     * Unmaps every request the device has completed, oldest first, and returns them.
     *
     * @return the completions, in submission order
     * @throws IllegalStateException if the driver is not running
     * @throws org.dmalib.dma.ops.DmaUsageException from the second unmap of
     *     {@link DriverMistake#DOUBLE_UNMAP}; in THROW mode, as a {@link
     *     org.dmalib.dma.ops.DmaDebugException}, from the FROM_DEVICE unmap of a read mapped
     *     TO_DEVICE ({@link DriverMistake#WRONG_DIRECTION})
     */
    public List<BlockCompletion> reap() {
        checkRunning();
        for (DmaMapping m : deferred) {
            m.unmap(cpu);
        }
        deferred.clear();
        List<BlockCompletion> done = new ArrayList<>();
        while (inFlight > 0) {
            int slot = clean;
            int status = ByteBuffer.wrap(ring.read(cpu, slot * BlockDevice.REQUEST_BYTES
                    + BlockDevice.STATUS, Integer.BYTES)).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            if ((status & BlockDevice.OWN) != 0) {
                break;
            }
            DmaMapping m = mappings[slot];
            BlockRequest r = requests[slot];
            mappings[slot] = null;
            requests[slot] = null;
            clean = (slot + 1) % entries;
            inFlight--;
            unmap(m, r.op() == BlockRequest.Op.WRITE ? DmaDirection.TO_DEVICE : DmaDirection.FROM_DEVICE);
            done.add(new BlockCompletion(slot, r, (status & BlockDevice.ERROR) == 0));
        }
        return done;
    }

    /**
     * Stops the driver: resets the device, unmaps every request (completed or not), frees the
     * ring and tables, then detaches the device.
     *
     * @throws IllegalStateException if the driver is not running
     * @throws org.dmalib.dma.ops.DmaLeakException from the detach if a mapping is still pending
     *     ({@link DriverMistake#LEAK_AT_DETACH}); the driver is stopped all the same
     */
    public void stop() {
        checkRunning();
        disk.reset();
        stopped = true;
        for (DmaMapping m : deferred) {
            m.unmap(cpu);
        }
        deferred.clear();
        for (int i = 0; i < entries; i++) {
            if (mappings[i] != null) {
                mappings[i].unmap(cpu);
                mappings[i] = null;
                requests[i] = null;
            }
        }
        inFlight = 0;
        ring.free();
        tables.free();
        dev.detach();
    }

    /** {@return the input segments of every request submitted} */
    public long segmentsMapped() {
        return segmentsMapped;
    }

    /**
     * {@return the DMA segments posted for every request submitted: as many as the input
     * segments on the direct path, fewer when an IOMMU merged some}
     */
    public long dmaSegmentsPosted() {
        return dmaSegmentsPosted;
    }

    /** {@return requests submitted and not yet reaped} */
    public int inFlight() {
        return inFlight;
    }

    /**
     * Unmaps a completed request as Linux drivers do, by what they kept: the list's first DMA
     * address, the entry count it was mapped with, and the direction the request needs.
     */
    private void unmap(DmaMapping m, DmaDirection dir) {
        boolean first = !firstCompleted;
        firstCompleted = true;
        if (first && mistake == DriverMistake.LEAK_AT_DETACH) {
            return; // bug: this completion path forgets the unmap
        }
        if (mistake == DriverMistake.MISSING_SYNC_FOR_CPU) {
            deferred.add(m); // bug: completed to the caller first, unmapped on the next reap
            return;
        }
        dev.unmapSg(cpu, m.dmaAddress(), m.inputCount(), dir);
        if (first && mistake == DriverMistake.DOUBLE_UNMAP) {
            dev.unmapSg(cpu, m.dmaAddress(), m.inputCount(), dir); // bug: unmapped again
        }
    }

    private void checkRunning() {
        if (!started || stopped) {
            throw new IllegalStateException("driver for streamId=" + dev.streamId() + " is not running");
        }
    }
}

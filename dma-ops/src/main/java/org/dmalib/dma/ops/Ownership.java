package org.dmalib.dma.ops;

import java.util.List;
import org.dmalib.dma.ops.internal.direct.Chunk;

/**
 * Who owns the bytes of one streaming mapping (Linux's ownership rules,
 * {@code Documentation/core-api/dma-api-howto.rst}): the device from map and sync for the
 * device on, the CPU from sync for the CPU on, in ranges of the mapping's bytes counted across
 * its input segments. Its CPU-side pieces are the driver's own buffer ranges (not bounce
 * buffers): what {@link CpuBuffer} accesses are checked against.
 *
 * <p>Not thread-safe: {@link DebugState} guards it.
 */
final class Ownership {
    final DmaMapping mapping;
    // the driver's ranges in mapping order: paddr, size pairs
    final long[] pieces;
    // mapping offsets the CPU owns; everything else is the device's
    final Intervals cpu = new Intervals();

    Ownership(DmaMapping mapping, List<Chunk> ranges) {
        this.mapping = mapping;
        this.pieces = new long[ranges.size() * 2];
        for (int i = 0; i < ranges.size(); i++) {
            pieces[2 * i] = ranges.get(i).phys();
            pieces[2 * i + 1] = ranges.get(i).size();
        }
    }

    /**
     * Returns the first physical byte of {@code [paddr, paddr + length)} this mapping gives to
     * the device, or -1 if the CPU owns all of it that the mapping covers.
     */
    long firstDeviceByte(long paddr, long length) {
        long offset = 0;
        for (int i = 0; i < pieces.length; i += 2) {
            long from = Math.max(paddr, pieces[i]);
            long to = Math.min(paddr + length, pieces[i] + pieces[i + 1]);
            if (from < to) {
                long gap = cpu.firstGap(offset + from - pieces[i], offset + to - pieces[i]);
                if (gap >= 0) {
                    return pieces[i] + gap - offset;
                }
            }
            offset += pieces[i + 1];
        }
        return -1;
    }
}

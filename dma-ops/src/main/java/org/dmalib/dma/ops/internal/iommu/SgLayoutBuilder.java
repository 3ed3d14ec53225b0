package org.dmalib.dma.ops.internal.iommu;

import java.util.Arrays;
import org.dmalib.dma.ops.internal.direct.Chunks;
import org.dmalib.dma.ops.internal.direct.DirectOps;

/**
 * Builds an {@link SgLayout} one segment at a time, in the pass that hands the list to the
 * device ({@link DirectOps#map(org.dmalib.hw.Cpu, Chunks, org.dmalib.iommu.api.DmaDirection,
 * boolean, DirectOps.ChunkSink)}), so that {@code iommu_dma_map_sg}'s first loop costs no pass
 * of its own: each segment aligned to the granule, the previous span padded when this one would
 * straddle a boundary, the physically contiguous runs merged. Built with a maximum segment
 * size, it also works out {@code __finalise_sg}'s merges in the same pass, as offsets from the
 * range's start ({@link SgLayout#segments} places them at the IOVA): a segment's merge is
 * decided when it arrives, and its span's end (padding included) when the next one arrives.
 *
 * <p>Not thread-safe: one builder per map call, on the caller's thread.
 */
final class SgLayoutBuilder implements DirectOps.ChunkSink {
    // DMA segments a list usually merges into, to start with (the array grows)
    private static final int FIRST_SEGMENTS = 8;

    private final int n;
    private final long granule;
    private final long granuleMask;
    private final long boundaryMask;
    private final long maxSegmentSize;
    private final boolean merges;
    private final long[] runStarts;
    private final long[] runLengths;
    private long[] pads;
    private int count;
    private int run = -1;
    private long iovaLength;
    // __finalise_sg's state: the DMA segments closed so far, as (offset, length) pairs
    private long[] segments;
    private int segmentCount;
    private long curStart;
    // cur_len, mod 2^32 as Linux's unsigned int (SgLayout#finalise); 0 once closed
    private long curLen;
    // the open DMA segment's true length
    private long openLen;
    // the previous segment's offset in its granule, length and span, for its end
    private long prevOff;
    private long prevLen;
    private long prevSpan;

    /**
     * A builder of the layout alone: {@link SgLayout#finalise} walks the list afterwards.
     *
     * @param n how many segments will be accepted, at least 1
     * @param granule the IOVA granule, a power of two
     * @param boundaryMask the device's segment boundary mask, {@code 2^k - 1}
     */
    SgLayoutBuilder(int n, long granule, long boundaryMask) {
        this(n, granule, boundaryMask, 0, false);
    }

    /**
     * A builder of the layout and of its DMA segments.
     *
     * @param n how many segments will be accepted, at least 1
     * @param granule the IOVA granule, a power of two
     * @param boundaryMask the device's segment boundary mask, {@code 2^k - 1}
     * @param maxSegmentSize the device's largest DMA segment, below 2^32 (Linux's unsigned int;
     *     the merges are {@link SgLayout#finalise}'s)
     */
    SgLayoutBuilder(int n, long granule, long boundaryMask, long maxSegmentSize) {
        this(n, granule, boundaryMask, maxSegmentSize, true);
    }

    private SgLayoutBuilder(int n, long granule, long boundaryMask, long maxSegmentSize,
            boolean merges) {
        this.n = n;
        this.granule = granule;
        this.granuleMask = granule - 1;
        this.boundaryMask = boundaryMask;
        this.maxSegmentSize = maxSegmentSize;
        this.merges = merges;
        this.runStarts = new long[n];
        this.runLengths = new long[n];
        this.segments = merges ? new long[2 * Math.min(n, FIRST_SEGMENTS)] : null;
    }

    /**
     * Takes the next segment.
     *
     * @param phys the segment's physical address (what the device reaches)
     * @param size its bytes, positive
     * @throws IllegalStateException if more segments arrive than the builder was made for
     */
    @Override
    public void accept(long phys, long size) {
        if (count == n) {
            throw new IllegalStateException("more than " + n + " segments");
        }
        int i = count++;
        long offset = phys & granuleMask;
        long spanStart = phys - offset;
        long span = IommuDmaOps.alignUp(size + offset, granule);
        // distance from iovaLength to the next boundary, 0 when on one (unsigned arithmetic)
        long pad = (boundaryMask - iovaLength + 1) & boundaryMask;
        if (pad != 0 && Long.compareUnsigned(pad, span - 1) < 0) {
            // the padding is appended to the PREVIOUS segment (there is one: pad != 0 needs
            // iovaLength != 0), and so to the run that segment ends
            if (pads == null) {
                pads = new long[n];
            }
            pads[i - 1] += pad;
            runLengths[run] += pad;
            iovaLength += pad;
            prevSpan += pad;
        }
        if (merges) {
            merge(i, offset, size);
        }
        iovaLength += span;
        if (run >= 0 && spanStart == runStarts[run] + runLengths[run]) {
            runLengths[run] += span;
        } else {
            run++;
            runStarts[run] = spanStart;
            runLengths[run] = span;
        }
    }

    /**
     * {@code __finalise_sg}'s step for segment {@code i} at offset {@code iovaLength} of the
     * range: the previous segment's end first (now that its padding is known), then the merge.
     */
    private void merge(int i, long off, long len) {
        if (i > 0 && prevLen + prevOff < prevSpan) {
            // the previous one ends mid-granule or padding follows: the DMA segment is closed
            curLen = 0;
        }
        long x = iovaLength;
        if (curLen != 0 && off == 0 && (x & boundaryMask) != 0
                && SgLayout.fits(maxSegmentSize, curLen, len)) {
            curLen = (curLen + len) & SgLayout.UINT_MASK;
            openLen += len;
        } else {
            if (i > 0) {
                addSegment(curStart, openLen);
            }
            curStart = x + off;
            curLen = len;
            openLen = len;
        }
        prevOff = off;
        prevLen = len;
        prevSpan = IommuDmaOps.alignUp(len + off, granule);
    }

    private void addSegment(long start, long length) {
        if (2 * segmentCount == segments.length) {
            segments = Arrays.copyOf(segments, 2 * segments.length);
        }
        segments[2 * segmentCount] = start;
        segments[2 * segmentCount + 1] = length;
        segmentCount++;
    }

    /**
     * Returns the layout of the accepted segments.
     *
     * @param chunks the segments that were accepted, in the same order
     * @return the layout
     * @throws IllegalStateException if not every segment was accepted
     */
    SgLayout build(Chunks chunks) {
        if (count != n || chunks.count() != n) {
            throw new IllegalStateException(
                    "accepted " + count + " of " + n + " segments, for a list of " + chunks.count());
        }
        if (merges) {
            addSegment(curStart, openLen);
        }
        return new SgLayout(chunks, granule, pads, iovaLength, runStarts, runLengths, run + 1,
                segments, segmentCount, boundaryMask, maxSegmentSize);
    }
}

package org.dmalib.dma.ops.internal.iommu;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.Chunks;
import org.dmalib.iommu.api.DmaSegment;

/**
 * The working view {@code iommu_dma_map_sg} makes of a scatterlist (reference §2.4): for each
 * input segment its offset within the granule and its original length (Linux stashes both in
 * the unused DMA fields), and the granule-aligned span it covers, padded when the next segment
 * would straddle a segment boundary. Linux rewrites the list in place and restores it; here the
 * caller's list is never touched and these arrays are the rewritten copy, so "restore" on an
 * error is simply dropping them.
 *
 * <p>Immutable after creation (the arrays are private; the input list is only read, and its
 * caller does not change it while the layout is in use); thread-safe.
 */
final class SgLayout {
    private final Chunks chunks; // the input, read for lengths, addresses and offsets
    private final long granuleMask;
    // the boundary padding after each segment's span; null when no segment is padded (the
    // usual case: a segment's span is then its granule-aligned length, computed from the chunk)
    private final long[] pads;
    private final long iovaLength;
    // the physically contiguous runs of padded spans, what iommu_map_sg maps one by one
    private final long[] runStarts;
    private final long[] runLengths;
    private final int runCount;

    private SgLayout(Chunks chunks, long granule, long[] pads, long iovaLength,
            long[] runStarts, long[] runLengths, int runCount) {
        this.chunks = chunks;
        this.granuleMask = granule - 1;
        this.pads = pads;
        this.iovaLength = iovaLength;
        this.runStarts = runStarts;
        this.runLengths = runLengths;
        this.runCount = runCount;
    }

    /**
     * The first loop of {@code iommu_dma_map_sg}: aligns every segment to the granule and pads
     * the previous segment's span when this one would straddle a boundary of
     * {@code boundaryMask + 1}. Because the allocator aligns the range naturally to a power of
     * two at least its size, a boundary smaller than the range falls on its start, so padding
     * is computed from lengths alone.
     *
     * @param chunks the input segments (physical address, length), at least one
     * @param granule the IOVA granule, a power of two
     * @param boundaryMask the device's segment boundary mask, {@code 2^n - 1}
     * @return the layout
     */
    static SgLayout of(List<Chunk> chunks, long granule, long boundaryMask) {
        return of(Chunks.of(chunks), granule, boundaryMask);
    }

    /** {@link #of(List, long, long)} of {@code chunks}. */
    static SgLayout of(Chunks chunks, long granule, long boundaryMask) {
        int n = chunks.count();
        long[] pads = null;
        long[] runStarts = new long[n];
        long[] runLengths = new long[n];
        int run = -1;
        long iovaLength = 0;
        for (int i = 0; i < n; i++) {
            long phys = chunks.devicePhys(i);
            long offset = phys & (granule - 1);
            long spanStart = phys - offset;
            long span = IommuDmaOps.alignUp(chunks.size(i) + offset, granule);
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
        return new SgLayout(chunks, granule, pads, iovaLength, runStarts, runLengths, run + 1);
    }

    /**
     * Returns how many physically contiguous runs the padded spans make: consecutive spans whose
     * physical ranges touch are one run, mapped with one {@code iommu_map} in
     * {@code iommu_map_sg}.
     */
    int runCount() {
        return runCount;
    }

    /** Returns the physical start of each run; entries from {@link #runCount} on are unused. */
    long[] runStarts() {
        return runStarts;
    }

    /** Returns the bytes of each run; entries from {@link #runCount} on are unused. */
    long[] runLengths() {
        return runLengths;
    }

    /** Returns the bytes of IOVA space the list needs (the sum of the padded spans). */
    long iovaLength() {
        return iovaLength;
    }

    /** Returns the number of input segments. */
    int size() {
        return chunks.count();
    }

    /** Returns segment {@code i}'s granule-aligned physical start ({@code sg_phys} rewritten). */
    long spanStart(int i) {
        return chunks.devicePhys(i) & ~granuleMask;
    }

    /** Returns segment {@code i}'s granule-aligned, possibly padded, length. */
    long span(int i) {
        return span(chunks.devicePhys(i) & granuleMask, chunks.size(i), i);
    }

    /** Segment {@code i}'s span, {@code off} and {@code len} being its chunk's offset and length. */
    private long span(long off, long len, int i) {
        long granule = granuleMask + 1;
        long aligned = IommuDmaOps.alignUp(len + off, granule);
        return pads == null ? aligned : aligned + pads[i];
    }

    /**
     * {@code __finalise_sg} (reference §2.5): the DMA segments of the list mapped at
     * {@code iova}. A segment is appended to the open DMA segment iff one is open, the segment
     * starts on a granule, its IOVA is not on a boundary, and the sum stays within
     * {@code maxSegmentSize}; a segment that ends before its span ends closes the DMA segment.
     *
     * @param iova the IOVA of the first span
     * @param boundaryMask the device's segment boundary mask
     * @param maxSegmentSize the device's largest DMA segment
     * @return the DMA segments, in order ({@code dma_map_sg}'s count is their number)
     */
    List<DmaSegment> finalise(long iova, long boundaryMask, long maxSegmentSize) {
        List<DmaSegment> out = new ArrayList<>();
        long curStart = 0;
        long curLen = 0;
        // the open DMA segment's length, even once closed (curLen 0): it is emitted when the
        // next one opens, or at the end, so a merge costs no object
        long openLen = 0;
        long dma = iova;
        int n = chunks.count();
        for (int i = 0; i < n; i++) {
            long off = chunks.devicePhys(i) & granuleMask;
            long len = chunks.size(i);
            long span = span(off, len, i);
            if (curLen != 0 && off == 0 && (dma & boundaryMask) != 0
                    && maxSegmentSize - curLen >= len) {
                curLen += len;
            } else {
                if (i > 0) {
                    out.add(new DmaSegment(curStart, openLen));
                }
                curStart = dma + off;
                curLen = len;
            }
            openLen = curLen;
            dma += span;
            if (len + off < span) {
                // ends mid-granule or padding follows: the DMA segment is closed
                curLen = 0;
            }
        }
        out.add(new DmaSegment(curStart, openLen));
        return out;
    }
}

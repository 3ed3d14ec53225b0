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
    /** Linux's {@code cur_len}, {@code max_len} and {@code s_length} are unsigned int: mod 2^32. */
    static final long UINT_MASK = 0xFFFF_FFFFL;

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
    // __finalise_sg's DMA segments as (offset from the IOVA, length) pairs, worked out in the
    // layout's pass (SgLayoutBuilder); null when the layout was made without them
    private final long[] segments;
    private final int segmentCount;
    private final long boundaryMask;
    private final long maxSegmentSize;

    SgLayout(Chunks chunks, long granule, long[] pads, long iovaLength, long[] runStarts,
            long[] runLengths, int runCount, long[] segments, int segmentCount, long boundaryMask,
            long maxSegmentSize) {
        this.chunks = chunks;
        this.granuleMask = granule - 1;
        this.pads = pads;
        this.iovaLength = iovaLength;
        this.runStarts = runStarts;
        this.runLengths = runLengths;
        this.runCount = runCount;
        this.segments = segments;
        this.segmentCount = segmentCount;
        this.boundaryMask = boundaryMask;
        this.maxSegmentSize = maxSegmentSize;
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
        SgLayoutBuilder b = new SgLayoutBuilder(chunks.count(), granule, boundaryMask);
        for (int i = 0; i < chunks.count(); i++) {
            b.accept(chunks.devicePhys(i), chunks.size(i));
        }
        return b.build(chunks);
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
     * {@code __finalise_sg}'s DMA segments of the list mapped at {@code iova}, with the device's
     * boundary mask and maximum segment size the layout was built with: what
     * {@link #finalise} returns. A layout built with its segments
     * ({@link SgLayoutBuilder#SgLayoutBuilder(int, long, long, long)}) places them at
     * {@code iova} when the IOVA is naturally aligned to a power of two at least
     * {@link #iovaLength} (what the allocator hands out), else, and for a layout built without
     * them, walks the list.
     *
     * <p>Why the offsets hold: a DMA segment joins the open one only if its IOVA is not on a
     * boundary, {@code ((iova + x) & mask) != 0} for its offset {@code x > 0} in the range.
     * With {@code iova} a multiple of {@code A >= iovaLength}: if {@code mask + 1 <= A} the
     * IOVA is on a boundary and the test is {@code (x & mask) != 0}; else {@code x < A <= mask}
     * and {@code (iova & mask) + x} stays below the next boundary, so the test is true, as is
     * {@code (x & mask) != 0}.
     *
     * @param iova the IOVA of the first span
     * @return the DMA segments, in order, immutable
     */
    List<DmaSegment> segments(long iova) {
        // roundup_pow_of_two(iovaLength): the allocator's alignment of the range
        long align = Long.highestOneBit(iovaLength - 1) << 1;
        if (segments == null || (iova & (align - 1)) != 0) {
            return List.copyOf(finalise(iova, boundaryMask, maxSegmentSize));
        }
        DmaSegment[] out = new DmaSegment[segmentCount];
        for (int s = 0; s < segmentCount; s++) {
            out[s] = new DmaSegment(iova + segments[2 * s], segments[2 * s + 1]);
        }
        return List.of(out);
    }

    /**
     * {@code __finalise_sg}'s length test {@code max_len - cur_len >= s_length}, in its unsigned
     * int arithmetic. An open DMA segment longer than {@code max_len} (a segment that was
     * longer on its own opens one all the same) makes the difference wrap to nearly 2^32, so
     * the next segment is still appended; Linux does so, and the model with it.
     *
     * @param maxSegmentSize {@code max_len}, below 2^32
     * @param curLen {@code cur_len}, mod 2^32
     * @param len {@code s_length}, below 2^32
     * @return whether Linux's test holds
     */
    static boolean fits(long maxSegmentSize, long curLen, long len) {
        return ((maxSegmentSize - curLen) & UINT_MASK) >= len;
    }

    /**
     * {@code __finalise_sg} (reference §2.5): the DMA segments of the list mapped at
     * {@code iova}. A segment is appended to the open DMA segment iff one is open, the segment
     * starts on a granule, its IOVA is not on a boundary, and {@code max_len - cur_len >=
     * s_length} holds in Linux's unsigned int arithmetic ({@link #fits}); a segment that ends
     * before its span ends closes the DMA segment.
     *
     * <p>{@code cur_len} is kept mod 2^32 as Linux keeps it, so the decisions are Linux's
     * exactly, a {@code cur_len} that wraps to 0 included (nothing is appended to it then).
     * The lengths returned are not reduced: a DMA segment of 4 GiB or more, which Linux's
     * unsigned int {@code sg_dma_len} cannot hold, keeps its true length here.
     *
     * @param iova the IOVA of the first span
     * @param boundaryMask the device's segment boundary mask
     * @param maxSegmentSize the device's largest DMA segment, below 2^32
     * @return the DMA segments, in order ({@code dma_map_sg}'s count is their number)
     */
    List<DmaSegment> finalise(long iova, long boundaryMask, long maxSegmentSize) {
        List<DmaSegment> out = new ArrayList<>();
        long curStart = 0;
        // cur_len, mod 2^32 as Linux's unsigned int; 0 once the DMA segment is closed
        long curLen = 0;
        // the open DMA segment's true length, even once closed: it is emitted when the next one
        // opens, or at the end, so a merge costs no object
        long openLen = 0;
        long dma = iova;
        int n = chunks.count();
        for (int i = 0; i < n; i++) {
            long off = chunks.devicePhys(i) & granuleMask;
            long len = chunks.size(i);
            long span = span(off, len, i);
            if (curLen != 0 && off == 0 && (dma & boundaryMask) != 0
                    && fits(maxSegmentSize, curLen, len)) {
                curLen = (curLen + len) & UINT_MASK;
                openLen += len;
            } else {
                if (i > 0) {
                    out.add(new DmaSegment(curStart, openLen));
                }
                curStart = dma + off;
                curLen = len;
                openLen = len;
            }
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

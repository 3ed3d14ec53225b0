package org.dmalib.dma.ops.internal.iommu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.iommu.api.DmaSegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code iommu_dma_map_sg}'s layout and {@code __finalise_sg}'s merges, table-driven (reference
 * §2.4, §2.5), with a 4 KiB granule.
 */
class SgLayoutTest {
    private static final long G = 4096;
    private static final long NO_BOUNDARY = -1L;
    private static final long MAX_64K = 64 * 1024;

    /** Input segments as {paddr, length} pairs. */
    private static List<Chunk> in(long... pairs) {
        List<Chunk> out = new ArrayList<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.add(new Chunk(pairs[i], Chunk.NOT_BOUNCED, pairs[i + 1]));
        }
        return out;
    }

    /** Expected DMA segments as {offset from the IOVA, length} pairs. */
    private static long[] out(long... pairs) {
        return pairs;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("reference worked example: a mid-page end closes the segment",
                        in(0x10200, 0xE00, 0x20000, 0x1000, 0x30000, 0x800, 0x40000, 0x1000),
                        NO_BOUNDARY, MAX_64K, 0x4000L, out(0x200, 0x2600, 0x3000, 0x1000)),
                Arguments.of("reference padding example: mask 0xFFFF pads the first to 64 KiB",
                        in(0x100000, 0xC000, 0x200000, 0x8000),
                        0xFFFFL, MAX_64K, 0x18000L, out(0, 0xC000, 0x10000, 0x8000)),
                Arguments.of("padding to a 16 KiB boundary is appended to the previous segment",
                        in(0x10000, 0x3000, 0x20000, 0x2000),
                        0x3FFFL, MAX_64K, 0x6000L, out(0, 0x3000, 0x4000, 0x2000)),
                Arguments.of("no padding when the segment fits before the boundary, split on it",
                        in(0x10000, 0x1000, 0x20000, 0x1000, 0x30000, 0x1000, 0x40000, 0x1000),
                        0x1FFFL, MAX_64K, 0x4000L, out(0, 0x2000, 0x2000, 0x2000)),
                Arguments.of("max segment size splits a run of whole pages",
                        in(0x10000, 0x1000, 0x20000, 0x1000, 0x30000, 0x1000, 0x40000, 0x1000),
                        NO_BOUNDARY, 0x2000L, 0x4000L, out(0, 0x2000, 0x2000, 0x2000)),
                Arguments.of("max segment size: a segment that would overflow starts a new one",
                        in(0x10000, 0x1000, 0x20000, 0x1800),
                        NO_BOUNDARY, 0x2000L, 0x3000L, out(0, 0x1000, 0x1000, 0x1800)),
                Arguments.of("a segment ending mid-granule closes the output segment",
                        in(0x10000, 0x800, 0x20000, 0x1000),
                        NO_BOUNDARY, MAX_64K, 0x2000L, out(0, 0x800, 0x1000, 0x1000)),
                Arguments.of("a segment not starting on a granule cannot be appended",
                        in(0x10000, 0x1000, 0x20100, 0x100),
                        NO_BOUNDARY, MAX_64K, 0x2000L, out(0, 0x1000, 0x1100, 0x100)),
                Arguments.of("whole pages merge into one DMA segment",
                        in(0x10000, 0x1000, 0x50000, 0x2000, 0x30000, 0x1000),
                        NO_BOUNDARY, MAX_64K, 0x4000L, out(0, 0x4000)),
                Arguments.of("a single segment keeps its offset in the granule",
                        in(0x10FF0, 0x20),
                        NO_BOUNDARY, MAX_64K, 0x2000L, out(0xFF0, 0x20)),
                // Linux's unsigned int max_len - cur_len wraps past an over-long open segment
                Arguments.of("an over-long first segment still takes the next one (unsigned)",
                        in(0x10000, 0x3000, 0x20000, 0x1000, 0x30000, 0x1000),
                        NO_BOUNDARY, 0x2000L, 0x5000L, out(0, 0x5000)),
                Arguments.of("an over-long segment opened after a closed one takes the next",
                        in(0x10000, 0x800, 0x20000, 0x3000, 0x30000, 0x1000),
                        NO_BOUNDARY, 0x2000L, 0x5000L, out(0, 0x800, 0x1000, 0x4000)),
                Arguments.of("an over-long segment still stops at a boundary",
                        in(0x10000, 0x4000, 0x20000, 0x1000),
                        0x3FFFL, 0x2000L, 0x5000L, out(0, 0x4000, 0x4000, 0x1000)),
                // 0x2000 - 0xFFFF_E000 wraps to 0x4000: fits 0x2000; then cur_len wraps to 0
                Arguments.of("cur_len wraps at 2^32 to 0, and then nothing is appended",
                        in(0, 0x7FFF_F000L, 0, 0x7FFF_F000L, 0, 0x2000, 0, 0x1000),
                        NO_BOUNDARY, 0x2000L, 0x1_0000_1000L,
                        out(0, 0x1_0000_0000L, 0x1_0000_0000L, 0x1000)),
                Arguments.of("past the wrap cur_len is 0x1000, and max_len limits it again",
                        in(0, 0x7FFF_F000L, 0, 0x7FFF_F000L, 0, 0x3000, 0, 0x2000),
                        NO_BOUNDARY, 0x2000L, 0x1_0000_3000L,
                        out(0, 0x1_0000_1000L, 0x1_0000_1000L, 0x2000)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void layoutAndFinalise(String name, List<Chunk> chunks, long mask, long maxSeg, long iovaLength,
            long[] expected) {
        SgLayout layout = SgLayout.of(chunks, G, mask);
        assertEquals(iovaLength, layout.iovaLength(), "iova_len");
        // any naturally aligned IOVA gives the same layout; this one is 1 MiB aligned
        long iova = 0x4000_0000L;
        List<DmaSegment> want = new ArrayList<>();
        for (int i = 0; i < expected.length; i += 2) {
            want.add(new DmaSegment(iova + expected[i], expected[i + 1]));
        }
        assertEquals(want, layout.finalise(iova, mask, maxSeg));
        long total = chunks.stream().mapToLong(Chunk::size).sum();
        assertEquals(total, layout.finalise(iova, mask, maxSeg).stream()
                .mapToLong(DmaSegment::dmaLength).sum(), "DMA lengths add up to the input lengths");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void spansAreGranuleAlignedAndCoverTheirSegments(String name, List<Chunk> chunks, long mask,
            long maxSeg, long iovaLength, long[] expected) {
        SgLayout layout = SgLayout.of(chunks, G, mask);
        long sum = 0;
        for (int i = 0; i < layout.size(); i++) {
            assertEquals(0, layout.spanStart(i) % G);
            assertEquals(0, layout.span(i) % G);
            Chunk c = chunks.get(i);
            assertEquals(true, layout.spanStart(i) <= c.phys()
                    && c.phys() + c.size() <= layout.spanStart(i) + layout.span(i));
            sum += layout.span(i);
        }
        assertEquals(iovaLength, sum);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void runsAreTheSpansMergedWherePhysicallyContiguous(String name, List<Chunk> chunks, long mask,
            long maxSeg, long iovaLength, long[] expected) {
        SgLayout layout = SgLayout.of(chunks, G, mask);
        // merge the final (padded) spans after the fact, as iommu_map_sg walks them
        List<Long> want = new ArrayList<>();
        long start = layout.spanStart(0);
        long len = layout.span(0);
        for (int i = 1; i < layout.size(); i++) {
            if (layout.spanStart(i) == start + len) {
                len += layout.span(i);
            } else {
                want.add(start);
                want.add(len);
                start = layout.spanStart(i);
                len = layout.span(i);
            }
        }
        want.add(start);
        want.add(len);
        List<Long> got = new ArrayList<>();
        for (int r = 0; r < layout.runCount(); r++) {
            got.add(layout.runStarts()[r]);
            got.add(layout.runLengths()[r]);
        }
        assertEquals(want, got);
    }
}

package org.dmalib.dma.ops.internal.iommu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.dma.ops.internal.direct.Chunks;
import org.dmalib.iommu.api.DmaSegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SgLayoutBuilder}: the one-pass layout is {@link SgLayout#of}'s, and the DMA segments
 * it works out in that pass are {@link SgLayout#finalise}'s at every IOVA the allocator can
 * hand out; at any other IOVA {@link SgLayout#segments} walks the list.
 */
class SgLayoutBuilderTest {
    private static final long G = 4096;

    private static SgLayout built(List<Chunk> chunks, long mask, long maxSeg) {
        Chunks c = Chunks.of(chunks);
        SgLayoutBuilder b = new SgLayoutBuilder(c.count(), G, mask, maxSeg);
        for (int i = 0; i < c.count(); i++) {
            b.accept(c.devicePhys(i), c.size(i));
        }
        return b.build(c);
    }

    private static void assertSameLayout(SgLayout want, SgLayout got) {
        assertEquals(want.iovaLength(), got.iovaLength(), "iova_len");
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.spanStart(i), got.spanStart(i), "span start " + i);
            assertEquals(want.span(i), got.span(i), "span " + i);
        }
        assertEquals(want.runCount(), got.runCount());
        assertEquals(Arrays.toString(Arrays.copyOf(want.runStarts(), want.runCount())),
                Arrays.toString(Arrays.copyOf(got.runStarts(), got.runCount())));
        assertEquals(Arrays.toString(Arrays.copyOf(want.runLengths(), want.runCount())),
                Arrays.toString(Arrays.copyOf(got.runLengths(), got.runCount())));
    }

    /** The IOVAs the allocator may hand out for the layout: multiples of roundup_pow_of_two. */
    private static long[] alignedIovas(long iovaLength) {
        long a = Long.highestOneBit(iovaLength - 1) << 1;
        return new long[] {a, 3 * a, 0x4000_0000L, 0x4000_0000L + a, 0xFFFF_0000L & -a};
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.dmalib.dma.ops.internal.iommu.SgLayoutTest#cases")
    void theReferenceCasesGiveTheSameLayoutAndSegments(String name, List<Chunk> chunks, long mask,
            long maxSeg, long iovaLength, long[] expected) {
        SgLayout got = built(chunks, mask, maxSeg);
        assertSameLayout(SgLayout.of(chunks, G, mask), got);
        for (long iova : alignedIovas(got.iovaLength())) {
            List<DmaSegment> want = new ArrayList<>();
            for (int i = 0; i < expected.length; i += 2) {
                want.add(new DmaSegment(iova + expected[i], expected[i + 1]));
            }
            assertEquals(want, got.segments(iova), "iova=0x" + Long.toHexString(iova));
        }
    }

    @Test
    void randomListsAgreeWithTheWalkAtEveryAlignedIova() {
        Random r = new Random(20261202);
        long[] masks = {-1L, 0xFFFF, 0x3FFF, 0x1FFF, 0xFFF, 0xF_FFFF};
        long[] maxSegs = {0x1000, 0x2000, 0x3000, 0x10000, 0xFFFF_FFFFL};
        for (int round = 0; round < 3000; round++) {
            int n = 1 + r.nextInt(12);
            List<Chunk> chunks = new ArrayList<>();
            long page = 0x10_0000;
            for (int i = 0; i < n; i++) {
                // contiguous with the previous one now and then, else a fresh page
                page = r.nextInt(3) == 0 ? page + G : page + G * (2 + r.nextInt(8));
                long off = r.nextInt(4) == 0 ? r.nextInt((int) G) : 0;
                long len = r.nextInt(3) == 0 ? 1 + r.nextInt(3 * (int) G) : G * (1 + r.nextInt(3)) - off;
                chunks.add(new Chunk(page + off, Chunk.NOT_BOUNCED, len));
                page += (off + len) / G * G;
            }
            long mask = masks[r.nextInt(masks.length)];
            long maxSeg = maxSegs[r.nextInt(maxSegs.length)];
            SgLayout walk = SgLayout.of(chunks, G, mask);
            SgLayout got = built(chunks, mask, maxSeg);
            assertSameLayout(walk, got);
            for (long iova : alignedIovas(got.iovaLength())) {
                assertEquals(walk.finalise(iova, mask, maxSeg), got.segments(iova),
                        chunks + " mask=0x" + Long.toHexString(mask) + " max=0x"
                                + Long.toHexString(maxSeg) + " iova=0x" + Long.toHexString(iova));
            }
        }
    }

    @Test
    void anIovaTheAllocatorWouldNotHandOutIsWalked() {
        // two whole pages with an 8 KiB boundary: at IOVA G (aligned to 4 KiB only, not to the
        // range's 8 KiB) the offsets would merge them, so the walk decides, as finalise does
        List<Chunk> chunks = List.of(new Chunk(0x10000, Chunk.NOT_BOUNCED, G),
                new Chunk(0x30000, Chunk.NOT_BOUNCED, G));
        SgLayout got = built(chunks, 0x1FFF, 0x10000);
        assertEquals(SgLayout.of(chunks, G, 0x1FFF).finalise(G, 0x1FFF, 0x10000), got.segments(G));
        // at G the second page's IOVA 2G is on the 8 KiB boundary: no merge there
        assertEquals(List.of(new DmaSegment(G, G), new DmaSegment(2 * G, G)), got.segments(G));
        assertEquals(List.of(new DmaSegment(0x8000, 2 * G)), got.segments(0x8000));
    }

    @Test
    void aBuilderTakesExactlyItsSegments() {
        Chunks one = Chunks.of(new Chunk(0x10000, Chunk.NOT_BOUNCED, G));
        SgLayoutBuilder b = new SgLayoutBuilder(1, G, -1L, 0x10000);
        assertThrows(IllegalStateException.class, () -> b.build(one));
        b.accept(0x10000, G);
        assertThrows(IllegalStateException.class, () -> b.accept(0x20000, G));
        assertEquals(List.of(new DmaSegment(0x8000, G)), b.build(one).segments(0x8000));
    }
}

package org.dmalib.dma.ops.internal.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.junit.jupiter.api.Test;

/**
 * {@link Chunks}: a scatterlist's view answers every question as the records of its segments
 * do, and records answer as the records themselves.
 */
class ChunksTest {
    private static final ScatterList LIST = ScatterList.of(Segment.ofPhysical(0x10200, 0xE00),
            Segment.ofPhysical(0x20000, 0x1000), Segment.ofPhysical(0x30000, 0x800));

    /** The records of {@link #LIST}'s segments, as the mapping built them one by one. */
    private static List<Chunk> records() {
        List<Chunk> out = new ArrayList<>();
        for (Segment s : LIST.segments()) {
            out.add(new Chunk(s.paddr(), Chunk.NOT_BOUNCED, s.length()));
        }
        return out;
    }

    @Test
    void aScatterListViewIsTheRecordsOfItsSegments() {
        Chunks view = Chunks.of(LIST);
        List<Chunk> want = records();
        assertEquals(want.size(), view.count());
        for (int i = 0; i < want.size(); i++) {
            Chunk c = want.get(i);
            assertEquals(c.phys(), view.phys(i));
            assertEquals(c.size(), view.size(i));
            assertEquals(c.bounce(), view.bounce(i));
            assertEquals(c.bounced(), view.bounced(i));
            assertEquals(c.devicePhys(), view.devicePhys(i));
            assertEquals(c, view.get(i));
        }
        assertEquals(want, view.asList());
        assertEquals(Chunks.of(want), view);
        assertEquals(Chunks.of(want).hashCode(), view.hashCode());
        assertTrue(view.neverBounced());
        assertFalse(view.anyBounced());
    }

    @Test
    void recordsAnswerAsTheRecordsAndAreCopied() {
        List<Chunk> in = new ArrayList<>(records());
        in.add(new Chunk(0x40000, 0x90000, 0x100));
        Chunks chunks = Chunks.of(in);
        in.clear(); // a copy: the caller's list may change afterwards
        assertEquals(4, chunks.count());
        assertEquals(0x40000, chunks.phys(3));
        assertEquals(0x90000, chunks.bounce(3));
        assertEquals(0x90000, chunks.devicePhys(3));
        assertTrue(chunks.bounced(3));
        assertFalse(chunks.bounced(0));
        assertTrue(chunks.anyBounced());
        assertFalse(chunks.neverBounced());
        assertFalse(Chunks.of(records()).anyBounced());
        assertEquals(new Chunk(0x40010, 0x90010, 0x20), chunks.slice(3, 0x10, 0x20));
    }

    @Test
    void aViewSlicesAsItsRecordDoes() {
        Chunks view = Chunks.of(LIST);
        List<Chunk> want = records();
        assertEquals(want.get(0).slice(0x100, 0x200), view.slice(0, 0x100, 0x200));
        assertEquals(want.get(2).slice(0, 0x800), view.slice(2, 0, 0x800));
        for (long[] bad : new long[][] {{-1, 1}, {0, 0}, {0x7FF, 2}, {0x800, 1}}) {
            IllegalArgumentException got = assertThrows(IllegalArgumentException.class,
                    () -> view.slice(2, bad[0], bad[1]));
            IllegalArgumentException expected = assertThrows(IllegalArgumentException.class,
                    () -> want.get(2).slice(bad[0], bad[1]));
            assertEquals(expected.getMessage(), got.getMessage());
        }
    }

    @Test
    void indexesOutsideAreRefusedInBothForms() {
        for (Chunks c : List.of(Chunks.of(LIST), Chunks.of(records()))) {
            assertThrows(IndexOutOfBoundsException.class, () -> c.phys(3));
            assertThrows(IndexOutOfBoundsException.class, () -> c.size(-1));
            assertThrows(IndexOutOfBoundsException.class, () -> c.bounce(3));
            assertThrows(IndexOutOfBoundsException.class, () -> c.devicePhys(3));
            assertThrows(IndexOutOfBoundsException.class, () -> c.get(3));
        }
    }

    @Test
    void oneChunkIsAloneAndNullsAreRefused() {
        Chunk c = new Chunk(0x1000, Chunk.NOT_BOUNCED, 64);
        assertEquals(List.of(c), Chunks.of(c).asList());
        assertThrows(NullPointerException.class, () -> Chunks.of((Chunk) null));
        assertThrows(NullPointerException.class, () -> Chunks.of((ScatterList) null));
        assertThrows(NullPointerException.class, () -> Chunks.of((List<Chunk>) null));
    }
}

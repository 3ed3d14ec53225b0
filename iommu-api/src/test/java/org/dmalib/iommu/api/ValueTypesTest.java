package org.dmalib.iommu.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValueTypesTest {
    @Test
    void directions_say_who_reads_and_writes() {
        assertTrue(DmaDirection.TO_DEVICE.deviceReads());
        assertFalse(DmaDirection.TO_DEVICE.deviceWrites());
        assertTrue(DmaDirection.FROM_DEVICE.deviceWrites());
        assertFalse(DmaDirection.FROM_DEVICE.deviceReads());
        assertTrue(DmaDirection.BIDIRECTIONAL.deviceReads() && DmaDirection.BIDIRECTIONAL.deviceWrites());
        assertFalse(DmaDirection.NONE.isValidForMapping());
        assertFalse(DmaDirection.NONE.deviceReads() || DmaDirection.NONE.deviceWrites());
    }

    @Test
    void a_segment_is_page_offset_length() {
        Segment s = Segment.ofPhysical(0x12345, 100);
        assertEquals(0x12000, s.page());
        assertEquals(0x345, s.offset());
        assertEquals(0x12345, s.paddr());
        assertEquals(0x12345 + 100, s.end());
    }

    @Test
    void bad_segments_are_refused_naming_the_value() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Segment(0x1001, 0, 10));
        assertTrue(e.getMessage().contains("page=0x1001"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Segment(0, 4096, 10));
        assertTrue(e.getMessage().contains("offset=4096"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Segment(0, 0, 0));
        assertTrue(e.getMessage().contains("length=0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Segment.ofPhysical(-4096, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new Segment(Long.MAX_VALUE & -4096L, 4095, Integer.MAX_VALUE));
    }

    @Test
    void a_scatterlist_is_an_immutable_ordered_copy() {
        List<Segment> in = new ArrayList<>(List.of(Segment.ofPhysical(0, 10), Segment.ofPhysical(8192, 20)));
        ScatterList sgl = ScatterList.of(in);
        in.clear();
        assertEquals(2, sgl.size());
        assertEquals(30, sgl.totalLength());
        assertEquals(8192, sgl.segment(1).paddr());
        assertThrows(UnsupportedOperationException.class, () -> sgl.segments().clear());
        assertEquals(sgl, ScatterList.of(Segment.ofPhysical(0, 10), Segment.ofPhysical(8192, 20)));
    }

    @Test
    void an_empty_scatterlist_is_refused() {
        assertThrows(IllegalArgumentException.class, ScatterList::of);
        assertThrows(NullPointerException.class, () -> ScatterList.of((Segment) null));
    }

    @Test
    void dma_segments_are_validated() {
        assertEquals(0x3000, new DmaSegment(0x1000, 0x2000).dmaEnd());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new DmaSegment(0x1000, 0));
        assertTrue(e.getMessage().contains("dmaLength=0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DmaSegment(-1, 1));
    }

    @Test
    void a_segment_may_end_at_the_last_address_and_no_further() {
        long top = Long.MAX_VALUE & -4096L;
        assertEquals(Long.MAX_VALUE, new Segment(top, 4094, 1).end());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Segment(top, 4095, 1));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Segment.ofPhysical(-1, 1));
        assertTrue(e.getMessage().contains("paddr=0xffffffffffffffff"), e.getMessage());
    }

    @Test
    void a_dma_segment_may_start_at_bus_address_zero() {
        assertEquals(1, new DmaSegment(0, 1).dmaEnd());
    }

    @Test
    void scatterlists_with_different_segments_differ() {
        ScatterList a = ScatterList.of(Segment.ofPhysical(0, 10));
        assertFalse(a.equals(ScatterList.of(Segment.ofPhysical(0, 11))));
        assertFalse(a.equals(Segment.ofPhysical(0, 10)));
        assertEquals(a.hashCode(), ScatterList.of(Segment.ofPhysical(0, 10)).hashCode());
    }

    /** Asserts that the refusal {@code e} names {@code named}. */
    private static void names(String named, IllegalArgumentException e) {
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void every_refused_value_is_named_in_its_message() {
        names("page=0xfffffffffffff000",
                assertThrows(IllegalArgumentException.class, () -> new Segment(-4096, 0, 1)));
        names("offset=-1",
                assertThrows(IllegalArgumentException.class, () -> new Segment(0, -1, 1)));
        names("length=-5",
                assertThrows(IllegalArgumentException.class, () -> new Segment(0, 0, -5)));
        names("length=-1",
                assertThrows(IllegalArgumentException.class, () -> Segment.ofPhysical(0, -1)));
        names("dmaAddress=0xffffffffffffffff",
                assertThrows(IllegalArgumentException.class, () -> new DmaSegment(-1, 1)));
        names("dmaLength=-1",
                assertThrows(IllegalArgumentException.class, () -> new DmaSegment(0, -1)));
        names("pgsize=0x3",
                assertThrows(IllegalArgumentException.class, () -> new PageRun(3, 1)));
        names("pgsize=0x0",
                assertThrows(IllegalArgumentException.class, () -> new PageRun(0, 1)));
        names("pgcount=-1",
                assertThrows(IllegalArgumentException.class, () -> new PageRun(4096, -1)));
        names("pgsizeBitmap=0x0",
                assertThrows(IllegalArgumentException.class, () -> PageSizes.ofBitmap(0)));
        names("pgsizeBitmap=0x8000000000001000",
                assertThrows(IllegalArgumentException.class,
                        () -> PageSizes.ofBitmap(Long.MIN_VALUE | 4096)));
        names("pgsize=0xfffffffffffff000",
                assertThrows(IllegalArgumentException.class, () -> PageSizes.of(4096, -4096)));
        names("pgsize=0x0",
                assertThrows(IllegalArgumentException.class, () -> PageSizes.of(0)));
        PageSizes lpae = PageSizes.of(4096, 1L << 21);
        names("iova=0xfffffffffffff000",
                assertThrows(IllegalArgumentException.class, () -> lpae.pgsize(-4096, 0, 4096)));
        names("paddr=0xfffffffffffff000",
                assertThrows(IllegalArgumentException.class, () -> lpae.pgsize(0, -4096, 4096)));
        names("size=0x0",
                assertThrows(IllegalArgumentException.class, () -> lpae.pgsize(0, 0, 0)));
        names("bits=0x40",
                assertThrows(IllegalArgumentException.class, () -> IommuProt.ofBits(0x40)));
        names("bits=0xffffffff",
                assertThrows(IllegalArgumentException.class, () -> IommuProt.ofBits(-1)));
        names("direction=NONE",
                assertThrows(IllegalArgumentException.class,
                        () -> IommuProt.forDma(DmaDirection.NONE, true)));
        names("at least one segment",
                assertThrows(IllegalArgumentException.class, () -> ScatterList.of(List.of())));
        assertThrows(NullPointerException.class, () -> ScatterList.of((List<Segment>) null));
        List<Segment> withNull = new ArrayList<>();
        withNull.add(Segment.ofPhysical(0, 1));
        withNull.add(null);
        assertThrows(NullPointerException.class, () -> ScatterList.of(withNull));
        assertThrows(NullPointerException.class, () -> ScatterList.of((Segment[]) null));
        assertThrows(NullPointerException.class, () -> IommuProt.READ.with(null));
        assertThrows(NullPointerException.class, () -> IommuProt.forDma(null, false));
    }
}

package org.dmalib.iommu.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PageSizesTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_16K = 1L << 14;
    private static final long SZ_64K = 1L << 16;
    private static final long SZ_2M = 1L << 21;
    private static final long SZ_32M = 1L << 25;
    private static final long SZ_512M = 1L << 29;
    private static final long SZ_1G = 1L << 30;
    private static final PageSizes LPAE_4K = PageSizes.of(SZ_4K, SZ_2M, SZ_1G);

    @Test
    void the_reference_example() {
        // 4K|2M|1G, iova = paddr = 0x1FF000, size 0x401000: 1 x 4K, then 2 x 2M
        assertEquals(new PageRun(SZ_4K, 1), LPAE_4K.pgsize(0x1FF000, 0x1FF000, 0x401000));
        assertEquals(new PageRun(SZ_2M, 2), LPAE_4K.pgsize(0x200000, 0x200000, 0x400000));
    }

    @Test
    void differently_offset_addresses_never_aim_for_a_bigger_page() {
        // iova and paddr differ below 2M: 4K pages for the whole request
        assertEquals(new PageRun(SZ_4K, 0x401), LPAE_4K.pgsize(0x1FF000, 0x3FE000, 0x401000));
        // ... but the same offset in a 2M page is enough
        assertEquals(new PageRun(SZ_4K, 1), LPAE_4K.pgsize(0x1FF000, 0x3FF000, 0x401000));
        // zero addresses: only the size limits the page
        assertEquals(new PageRun(SZ_1G, 3), LPAE_4K.pgsize(0, 0, 3 * SZ_1G + SZ_2M));
        // stop at the 2M boundary only when a whole 2M page fits after it
        assertEquals(new PageRun(SZ_4K, 0x100), LPAE_4K.pgsize(0x100000, 0x100000, 0x300000));
        assertEquals(new PageRun(SZ_4K, 0x2FF), LPAE_4K.pgsize(0x100000, 0x100000, 0x2FF000));
    }

    @Test
    void the_map_loop_covers_the_request_with_aligned_supported_pages() {
        Random rnd = new Random(42);
        PageSizes[] tables = {LPAE_4K, PageSizes.of(SZ_16K, SZ_32M), PageSizes.of(SZ_64K, SZ_512M),
            PageSizes.ofBitmap(0x7FFFF000L)};
        for (int i = 0; i < 20_000; i++) {
            PageSizes ps = tables[rnd.nextInt(tables.length)];
            long min = ps.minPageSize();
            long iova = (rnd.nextLong() & 0x3F_FFFF_FFFFL) & -min;
            long paddr = rnd.nextInt(4) == 0 ? iova : (rnd.nextLong() & 0xF_FFFF_FFFFL) & -min;
            long size = (1 + (rnd.nextLong() & (rnd.nextBoolean() ? 0xFFFL : 0x3_FFFFL))) * min;
            long sum = 0;
            int calls = 0;
            while (sum < size) {
                PageRun run = ps.pgsize(iova + sum, paddr + sum, size - sum);
                assertTrue(ps.contains(run.pgsize()), run::toString);
                assertEquals(0, (iova + sum) % run.pgsize());
                assertEquals(0, (paddr + sum) % run.pgsize());
                assertTrue(run.bytes() <= size - sum);
                sum += run.bytes();
                calls++;
            }
            assertEquals(size, sum);
            // at most: a run per page size on the way up, then on the way down, and one per size
            assertTrue(calls <= 2 * Long.bitCount(ps.bitmap()) + 1, "calls=" + calls);
        }
    }

    @Test
    void no_fitting_size_is_an_unaligned_error_naming_the_values() {
        UnalignedException e = assertThrows(UnalignedException.class,
                () -> LPAE_4K.pgsize(0x800, 0x800, SZ_4K));
        assertTrue(e.getMessage().contains("iova=0x800"), e.getMessage());
        assertThrows(UnalignedException.class, () -> LPAE_4K.pgsize(0, 0, 0x800));
        assertThrows(IllegalArgumentException.class, () -> LPAE_4K.pgsize(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LPAE_4K.pgsize(-SZ_4K, 0, SZ_4K));
    }

    @Test
    void a_set_of_sizes_is_a_validated_value() {
        assertEquals(SZ_4K | SZ_2M | SZ_1G, LPAE_4K.bitmap());
        assertEquals(SZ_4K, LPAE_4K.minPageSize());
        assertEquals(SZ_1G, LPAE_4K.maxPageSize());
        assertTrue(LPAE_4K.contains(SZ_2M));
        assertFalse(LPAE_4K.contains(SZ_16K));
        assertFalse(LPAE_4K.contains(SZ_2M + SZ_4K));
        assertEquals("PageSizes[4K|2M|1G]", LPAE_4K.toString());
        assertEquals(LPAE_4K, PageSizes.ofBitmap(SZ_4K | SZ_2M | SZ_1G));
        assertThrows(IllegalArgumentException.class, () -> PageSizes.ofBitmap(0));
        assertThrows(IllegalArgumentException.class, () -> PageSizes.ofBitmap(Long.MIN_VALUE));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> PageSizes.of(SZ_4K, 0x3000));
        assertTrue(e.getMessage().contains("pgsize=0x3000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, PageSizes::of);
        assertThrows(IllegalArgumentException.class, () -> new PageRun(SZ_4K, 0));
        assertThrows(IllegalArgumentException.class, () -> new PageRun(3, 1));
    }

    @Test
    void prot_is_an_immutable_set_of_linux_flags() {
        IommuProt rw = IommuProt.READ.with(IommuProt.WRITE);
        assertEquals(IommuProt.READ_WRITE, rw);
        assertEquals(3, rw.bits());
        assertTrue(rw.has(IommuProt.READ) && rw.read() && rw.write());
        assertFalse(IommuProt.CACHE.isValidForMap());
        assertEquals("READ|WRITE|CACHE", rw.with(IommuProt.CACHE).toString());
        assertEquals("NONE", IommuProt.NONE.toString());
        assertEquals(0x3F, IommuProt.ofBits(0x3F).bits());
        assertThrows(IllegalArgumentException.class, () -> IommuProt.ofBits(0x40));
        assertEquals(IommuProt.READ, IommuProt.forDma(DmaDirection.TO_DEVICE, false));
        assertEquals(IommuProt.WRITE.with(IommuProt.CACHE),
                IommuProt.forDma(DmaDirection.FROM_DEVICE, true));
        assertThrows(IllegalArgumentException.class, () -> IommuProt.forDma(DmaDirection.NONE, false));
        assertTrue(DomainType.DMA_FQ.isDma());
        assertFalse(DomainType.UNMANAGED.isDma());
    }

    @Test
    void sets_of_different_sizes_differ() {
        assertFalse(LPAE_4K.equals(PageSizes.of(SZ_4K, SZ_2M)));
        assertFalse(LPAE_4K.equals(SZ_4K | SZ_2M | SZ_1G));
        assertEquals(LPAE_4K.hashCode(), PageSizes.of(SZ_1G, SZ_2M, SZ_4K).hashCode());
    }

    @Test
    void each_prot_flag_answers_for_itself_only() {
        assertFalse(IommuProt.READ.has(IommuProt.WRITE));
        assertFalse(IommuProt.READ.has(IommuProt.READ_WRITE));
        assertFalse(IommuProt.WRITE.read());
        assertFalse(IommuProt.READ.write());
        assertFalse(IommuProt.CACHE.read() || IommuProt.CACHE.write());
        assertTrue(IommuProt.WRITE.write());
        assertFalse(IommuProt.READ.equals(IommuProt.WRITE));
        assertFalse(IommuProt.READ.equals("READ"));
        assertEquals(IommuProt.READ.hashCode(), IommuProt.ofBits(1).hashCode());
    }
}

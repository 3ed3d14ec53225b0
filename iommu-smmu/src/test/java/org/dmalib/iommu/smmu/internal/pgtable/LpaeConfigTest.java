package org.dmalib.iommu.smmu.internal.pgtable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.iommu.api.PageSizes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Geometry of reference §4.2, worked out by hand per granule and IAS. */
class LpaeConfigTest {
    private static final long K4 = 1L << 12;
    private static final long K16 = 1L << 14;
    private static final long K64 = 1L << 16;
    private static final long M2 = 1L << 21;
    private static final long M32 = 1L << 25;
    private static final long M512 = 1L << 29;
    private static final long G1 = 1L << 30;

    @ParameterizedTest(name = "granule {0} ias {1}: {2} levels from L{3}, pgd {4} entries / {5} bytes")
    @CsvSource({
        // granule, ias, levels, start, pgd entries, pgd bytes (max(8 * entries, 64))
        "4096,  48, 4, 0,  512,  4096",
        "4096,  40, 4, 0,    2,    64",
        "4096,  39, 3, 1,  512,  4096",
        "4096,  36, 3, 1,   64,   512",
        "4096,  32, 3, 1,    4,    64",
        "4096,  30, 2, 2,  512,  4096",
        "4096,  21, 1, 3,  512,  4096",
        "4096,  16, 1, 3,   16,   128",
        "16384, 48, 4, 0,    2,    64",
        "16384, 47, 3, 1, 2048, 16384",
        "16384, 36, 2, 2, 2048, 16384",
        "16384, 32, 2, 2,  128,  1024",
        "16384, 25, 1, 3, 2048, 16384",
        "16384, 16, 1, 3,    4,    64",
        "65536, 48, 3, 1,   64,   512",
        "65536, 42, 2, 2, 8192, 65536",
        "65536, 36, 2, 2,  128,  1024",
        "65536, 29, 1, 3, 8192, 65536",
        "65536, 17, 1, 3,    2,    64",
    })
    void levels_start_level_and_pgd_follow_the_formulas(
            int granule, int ias, int levels, int start, int pgdEntries, int pgdBytes) {
        LpaeConfig c = new LpaeConfig(granule, ias, 48, true);
        assertEquals(levels, c.levels());
        assertEquals(start, c.startLevel());
        assertEquals(pgdEntries, c.entries(start));
        assertEquals(pgdBytes, c.pgdBytes());
        assertEquals(64 - ias, c.t0sz());
        for (int l = start + 1; l <= 3; l++) {
            assertEquals(granule / 8, c.entries(l), "a full table below the pgd");
        }
    }

    @ParameterizedTest(name = "granule {0} ias {1}: page sizes 0x{2}")
    @CsvSource({
        "4096,  48, 40201000", "4096, 39, 40201000", "4096, 32, 40201000",
        "4096,  30, 201000", "4096, 21, 1000",
        "16384, 48, 2004000", "16384, 36, 2004000", "16384, 25, 4000",
        "65536, 48, 20010000", "65536, 42, 20010000", "65536, 29, 10000",
    })
    void page_sizes_are_the_granules_leaf_sizes_reachable_from_the_start_level(
            int granule, int ias, String bitmapHex) {
        LpaeConfig c = new LpaeConfig(granule, ias, 48, false);
        assertEquals(PageSizes.ofBitmap(Long.parseLong(bitmapHex, 16)), c.pageSizes());
    }

    @Test
    void block_sizes_per_level_and_the_level_of_each_page_size() {
        LpaeConfig k4 = new LpaeConfig(4096, 48, 48, true);
        assertEquals(1L << 39, k4.blockSize(0));
        assertEquals(G1, k4.blockSize(1));
        assertEquals(M2, k4.blockSize(2));
        assertEquals(K4, k4.blockSize(3));
        assertEquals(1, k4.levelOf(G1));
        assertEquals(2, k4.levelOf(M2));
        assertEquals(3, k4.levelOf(K4));
        assertEquals(-1, k4.levelOf(1L << 39), "no 512 GiB level-0 blocks");
        assertEquals(-1, k4.levelOf(8192));
        LpaeConfig k16 = new LpaeConfig(16384, 48, 48, true);
        assertEquals(1L << 47, k16.blockSize(0));
        assertEquals(1L << 36, k16.blockSize(1));
        assertEquals(M32, k16.blockSize(2));
        assertEquals(K16, k16.blockSize(3));
        assertEquals(2, k16.levelOf(M32));
        assertEquals(-1, k16.levelOf(1L << 36), "64 GiB blocks need 52-bit output addresses");
        LpaeConfig k64 = new LpaeConfig(65536, 48, 48, true);
        assertEquals(1L << 42, k64.blockSize(1));
        assertEquals(M512, k64.blockSize(2));
        assertEquals(K64, k64.blockSize(3));
        assertEquals(-1, k64.levelOf(1L << 42), "4 TiB blocks only with OAS > 48");
    }

    @Test
    void index_and_max_entries_at_the_pgd_and_below() {
        LpaeConfig c = new LpaeConfig(16384, 48, 48, true); // pgd of 2 entries at level 0
        long iova = (1L << 47) | (5L << 25) | (7L << 14);
        assertEquals(1, c.index(iova, 0));
        assertEquals(1, c.maxEntries(iova, 0), "the pgd bounds a call too");
        assertEquals(5, c.index(iova, 2));
        assertEquals(2048 - 7, c.maxEntries(iova, 3));
    }

    @Test
    void bad_shapes_are_refused_naming_the_value() {
        assertMessage("granule=8192", () -> new LpaeConfig(8192, 48, 48, true));
        assertMessage("ias=15", () -> new LpaeConfig(4096, 15, 48, true));
        assertMessage("ias=49", () -> new LpaeConfig(4096, 49, 48, true));
        // the smallest IAS a 64 KiB granule allows is one bit of table index above its 16
        assertMessage("ias=16 must be from 17 to 48 for granule=65536",
                () -> new LpaeConfig(65536, 16, 48, true));
        assertMessage("ias=12 must be from 16 to 48 for granule=4096",
                () -> new LpaeConfig(4096, 12, 48, true));
        assertMessage("oas=31", () -> new LpaeConfig(4096, 48, 31, true));
        assertMessage("oas=52", () -> new LpaeConfig(65536, 48, 52, true));
    }

    @Test
    void only_output_sizes_the_ips_field_encodes_are_accepted() {
        // arm_64_lpae_alloc_pgtable_s1 maps cfg->oas to TCR.IPS and fails the table otherwise
        for (int oas : new int[] {32, 36, 40, 42, 44, 48}) {
            assertEquals(oas, new LpaeConfig(4096, 48, oas, true).oas());
        }
        assertMessage("oas=34 must be one of 32, 36, 40, 42, 44, 48",
                () -> new LpaeConfig(4096, 48, 34, true));
        assertMessage("oas=47", () -> new LpaeConfig(16384, 40, 47, false));
        assertMessage("oas=41", () -> new LpaeConfig(65536, 48, 41, true));
    }

    private static void assertMessage(String expected, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}

package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** GENMASK_ULL, FIELD_PREP and FIELD_GET over every bit range a 64-bit word has. */
class FieldsTest {
    @Test
    void mask_covers_bits_high_down_to_low_inclusive() {
        assertEquals(-1L, Fields.mask(63, 0));
        assertEquals(1L, Fields.mask(0, 0));
        assertEquals(Long.MIN_VALUE, Fields.mask(63, 63));
        assertEquals(0xf0L, Fields.mask(7, 4));
        assertEquals(0x0000_ffff_ffff_f000L, Fields.mask(47, 12));
        assertEquals(0xffff_0000_0000_0000L, Fields.mask(63, 48));
    }

    @Test
    void mask_rejects_bounds_outside_the_word_or_out_of_order() {
        assertThrows(IllegalArgumentException.class, () -> Fields.mask(0, -1));
        assertThrows(IllegalArgumentException.class, () -> Fields.mask(64, 0));
        assertThrows(IllegalArgumentException.class, () -> Fields.mask(3, 4));
    }

    @Test
    void prep_and_get_place_and_extract_a_field() {
        long field = Fields.mask(13, 12);
        assertEquals(0x2000L, Fields.prep(field, 2));
        assertEquals(0x1000L, Fields.prep(field, 5), "bits that do not fit are dropped");
        assertEquals(3L, Fields.get(field, 0xffff));
        assertEquals(0xffffL, Fields.get(Fields.mask(63, 48), -1L));
    }
}

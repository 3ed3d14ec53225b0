package org.dmalib.hw.smmu;

/**
 * Bit-field helpers over contiguous masks, as Linux's {@code GENMASK_ULL}, {@code FIELD_PREP}
 * and {@code FIELD_GET}: every layout constant in this package is such a mask.
 *
 * <p>Thread-safety: stateless.
 */
public final class Fields {
    private Fields() {}

    /**
     * Returns the mask of bits {@code high} down to {@code low}, inclusive.
     *
     * @param high the highest bit, 0 to 63, not below {@code low}
     * @param low the lowest bit, 0 to 63
     * @return the mask
     * @throws IllegalArgumentException if the bounds are out of order or out of range
     */
    public static long mask(int high, int low) {
        if (low < 0 || high > 63 || high < low) {
            throw new IllegalArgumentException("bad bit range high=" + high + " low=" + low);
        }
        return (-1L >>> (63 - high)) & (-1L << low);
    }

    /**
     * Places {@code value} in the field {@code mask} (FIELD_PREP); bits of {@code value} that do
     * not fit are dropped.
     *
     * @param mask a contiguous, non-zero mask
     * @param value the field value
     * @return the value shifted into place
     */
    public static long prep(long mask, long value) {
        return (value << Long.numberOfTrailingZeros(mask)) & mask;
    }

    /**
     * Extracts the field {@code mask} from {@code word} (FIELD_GET).
     *
     * @param mask a contiguous, non-zero mask
     * @param word the word
     * @return the field value, shifted down
     */
    public static long get(long mask, long word) {
        return (word & mask) >>> Long.numberOfTrailingZeros(mask);
    }

    /**
     * Returns whether the single-bit field {@code bit} is set in {@code word}.
     *
     * @param bit a mask
     * @param word the word
     * @return whether any bit of {@code bit} is set
     */
    public static boolean test(long bit, long word) {
        return (word & bit) != 0;
    }
}

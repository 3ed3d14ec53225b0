package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.junit.jupiter.api.Test;

class ArgsTest {
    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void sizes_take_plain_integers_hex_and_binary_suffixes() {
        assertEquals(4096, Args.size("--size", "4096"));
        assertEquals(4096, Args.size("--size", "4K"));
        assertEquals(4096, Args.size("--size", "4k"));
        assertEquals(64L << 20, Args.size("--size", "64M"));
        assertEquals(4L << 30, Args.size("--size", "4G"));
        assertEquals(0x1c, Args.size("--size", "0x1c"));
        assertEquals(0x10L << 20, Args.size("--size", "0x10M"));
        assertEquals(0, Args.size("--size", "0"));
    }

    @Test
    void bad_sizes_are_one_line_naming_the_value() {
        assertEquals("--size=12Q: unknown suffix 'Q' (K, M or G)", error(() -> Args.size("--size", "12Q")));
        assertEquals("--size=-4K: must not be negative", error(() -> Args.size("--size", "-4K")));
        assertEquals("--size=lots: unknown suffix 's' (K, M or G)", error(() -> Args.size("--size", "lots")));
        assertEquals("--size=: not a size (bytes, or with K, M or G)", error(() -> Args.size("--size", "")));
        assertEquals("--size=K: not a size (bytes, or with K, M or G)", error(() -> Args.size("--size", "K")));
        assertEquals("--size=99999999999G: too large", error(() -> Args.size("--size", "99999999999G")));
        assertEquals("--size=99999999999999999999: too large",
                error(() -> Args.size("--size", "99999999999999999999")));
        assertEquals("--size=0: must be positive", error(() -> Args.positiveSize("--size", "0")));
    }

    @Test
    void addresses_are_decimal_or_0x_hex() {
        assertEquals(0x8000_1000L, Args.address("--iova", "0x80001000"));
        assertEquals(0x8000_1000L, Args.address("--iova", "0X80001000"));
        assertEquals(4096, Args.address("--iova", "4096"));
        assertEquals("--iova=0xZZ: not a decimal or 0x hex address", error(() -> Args.address("--iova", "0xZZ")));
        assertEquals("--iova=-1: must not be negative", error(() -> Args.address("--iova", "-1")));
        assertEquals("--iova=4K: not a decimal or 0x hex address", error(() -> Args.address("--iova", "4K")));
    }

    @Test
    void granules_are_4k_16k_or_64k() {
        assertEquals(4096, Args.granule("--granule", "4K"));
        assertEquals(16384, Args.granule("--granule", "16k"));
        assertEquals(65536, Args.granule("--granule", "65536"));
        assertEquals("--granule=8K: must be 4K, 16K or 64K", error(() -> Args.granule("--granule", "8K")));
        assertEquals("--granule=4G: must be 4K, 16K or 64K", error(() -> Args.granule("--granule", "4G")));
    }

    @Test
    void counts_are_non_negative_decimals() {
        assertEquals(300, Args.count("--live-entries", "300"));
        assertEquals(1990, Args.count("--ops", "1990"), "every decimal digit, 0 and 9 included");
        assertEquals("--ops=1:9: not a count", error(() -> Args.count("--ops", "1:9")));
        assertEquals("--ops=1/9: not a count", error(() -> Args.count("--ops", "1/9")));
        assertEquals("--live-entries=-1: must not be negative", error(() -> Args.count("--live-entries", "-1")));
        assertEquals("--live-entries=x: not a count", error(() -> Args.count("--live-entries", "x")));
        assertEquals("--ops=+5: not a count", error(() -> Args.count("--ops", "+5")));
        assertEquals("--ops=: not a count", error(() -> Args.count("--ops", "")));
        assertEquals("--ops=99999999999999999999: not a count",
                error(() -> Args.count("--ops", "99999999999999999999")));
    }

    @Test
    void strategies_are_a_comma_list() {
        assertEquals(List.of(InvalidationStrategy.PER_PAGE, InvalidationStrategy.LINUX,
                InvalidationStrategy.OPTIMAL), Args.strategies("--strategy", Args.ALL_STRATEGIES));
        assertEquals(List.of(InvalidationStrategy.OPTIMAL, InvalidationStrategy.LINUX),
                Args.strategies("--strategy", "optimal, LINUX,optimal"));
        assertEquals("--strategy=linux,fast: unknown strategy 'fast' (per-page, linux, optimal)",
                error(() -> Args.strategies("--strategy", "linux,fast")));
        assertEquals("--strategy=: unknown strategy '' (per-page, linux, optimal)",
                error(() -> Args.strategies("--strategy", "")));
    }

    @Test
    void alignment_and_names() {
        Args.checkAligned("--size", "8K", 8192, 4096);
        assertEquals("--size=6K: not a multiple of the granule 4K",
                error(() -> Args.checkAligned("--size", "6K", 6144, 4096)));
        assertEquals("per-page", Args.name(InvalidationStrategy.PER_PAGE));
        assertEquals("64M", Args.human(64L << 20));
        assertEquals("4000K", Args.human(4000L * 1024));
        assertEquals("1000", Args.human(1000));
    }

    @Test
    void a_well_formed_number_past_a_long_is_too_large_not_malformed() {
        // hex digits, letters and zeros included, are digits of a 0x number: too many of them
        // is "too large", never "not an address"
        assertEquals("--iova=0xFFFFFFFFFFFFFFFFFF: too large",
                error(() -> Args.address("--iova", "0xFFFFFFFFFFFFFFFFFF")));
        assertEquals("--iova=0x100000000000000000: too large",
                error(() -> Args.address("--iova", "0x100000000000000000")));
        assertEquals("--size=0xabcdefabcdefabcdef0: too large",
                error(() -> Args.size("--size", "0xabcdefabcdefabcdef0")));
        assertEquals("--size=0x100000000000000000K: too large",
                error(() -> Args.size("--size", "0x100000000000000000K")));
        // the largest hex that fits is read exactly
        assertEquals(Long.MAX_VALUE, Args.address("--iova", "0x7fffffffffffffff"));
    }

    @Test
    void a_signed_hex_value_is_refused_naming_it() {
        // a size or an address is never negative, however it is written
        assertTrue(error(() -> Args.size("--size", "0x-1000")).startsWith("--size=0x-1000: "));
        assertTrue(error(() -> Args.size("--size", "0x-4K")).startsWith("--size=0x-4K: "));
        assertTrue(error(() -> Args.address("--iova", "0x-1000")).startsWith("--iova=0x-1000: "));
        // nor signed at all: a plus sign is not a digit either
        assertEquals("--size=0x+10: not a size (bytes, or with K, M or G)",
                error(() -> Args.size("--size", "0x+10")));
        assertEquals("--iova=+4096: not a decimal or 0x hex address",
                error(() -> Args.address("--iova", "+4096")));
    }

    @Test
    void only_ascii_digits_are_digits() {
        // Long.parseLong reads any Unicode digit: ARABIC-INDIC DIGIT FOUR, FULLWIDTH DIGIT ONE
        // and ZERO, FULLWIDTH LATIN CAPITAL LETTER A are no digits of a size or an address here
        String arabicFour = String.valueOf((char) 0x0664);
        String fullwidthTen = new String(new char[] {(char) 0xFF11, (char) 0xFF10});
        String fullwidthA = String.valueOf((char) 0xFF21);
        assertEquals("--size=" + arabicFour + "K: not a size (bytes, or with K, M or G)",
                error(() -> Args.size("--size", arabicFour + "K")));
        assertEquals("--size=0x" + fullwidthTen + ": not a size (bytes, or with K, M or G)",
                error(() -> Args.size("--size", "0x" + fullwidthTen)));
        assertEquals("--iova=" + arabicFour + "096: not a decimal or 0x hex address",
                error(() -> Args.address("--iova", arabicFour + "096")));
        assertEquals("--iova=0x1" + fullwidthA + ": not a decimal or 0x hex address",
                error(() -> Args.address("--iova", "0x1" + fullwidthA)));
        assertEquals("--granule=" + arabicFour + "K: not a size (bytes, or with K, M or G)",
                error(() -> Args.granule("--granule", arabicFour + "K")));
    }

    @Test
    void a_bare_hex_prefix_is_no_size_not_a_suffix() {
        // the x of 0x is the prefix, not a unit: nothing follows it
        assertEquals("--size=0x: not a size (bytes, or with K, M or G)",
                error(() -> Args.size("--size", "0x")));
        assertEquals("--granule=0X: not a size (bytes, or with K, M or G)",
                error(() -> Args.granule("--granule", "0X")));
        assertEquals("--size=0xK: not a size (bytes, or with K, M or G)",
                error(() -> Args.size("--size", "0xK")));
    }
}

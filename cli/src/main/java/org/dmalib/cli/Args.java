package org.dmalib.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dmalib.iommu.api.InvalidationStrategy;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Parses the values of the comparison commands' options. Every error is an
 * {@link IllegalArgumentException} whose message is one line naming the option and its value,
 * e.g. {@code --size=12Q: unknown suffix 'Q' (K, M or G)}; {@link Main} prints it and exits 2.
 *
 * <p>Stateless; thread-safe.
 */
final class Args {
    /** The three translation granules of SMMUv3 / LPAE. */
    static final List<Integer> GRANULES = List.of(4096, 16384, 65536);
    /** Every strategy, in the order the commands compare them. */
    static final String ALL_STRATEGIES = "per-page,linux,optimal";

    /** The granule option shared by the comparison commands. */
    static final String GRANULE = "--granule";
    /** The option modelling an SMMU without range invalidation. */
    static final String NO_RIL = "--no-ril";
    /** The strategy-list option. */
    static final String STRATEGY = "--strategy";

    private static final long KIB = 1L << 10;
    private static final int HEX = 16;

    private Args() {}

    /**
     * Adds the options every comparison command shares: {@code --granule}, {@code --no-ril} and
     * {@code --strategy} (whose description names what the command does with the list).
     *
     * @param spec the command to add them to
     * @param strategyDescription the {@code --strategy} help text, before its default
     */
    static void addSmmuOptions(CommandSpec spec, String strategyDescription) {
        spec.addOption(OptionSpec.builder(GRANULE).type(String.class).paramLabel("GRANULE")
                .defaultValue("4K")
                .description("translation granule and leaf size: 4K, 16K or 64K "
                        + "(default: ${DEFAULT-VALUE})")
                .build());
        spec.addOption(OptionSpec.builder(NO_RIL).type(boolean.class)
                .description("an SMMU without range invalidation (SMMU_IDR3.RIL clear)")
                .build());
        spec.addOption(OptionSpec.builder(STRATEGY).type(String.class).paramLabel("LIST")
                .defaultValue(ALL_STRATEGIES)
                .description(strategyDescription + " (default: ${DEFAULT-VALUE})")
                .build());
    }

    /**
     * Returns whether a boolean option is on. picocli takes a flag bare ({@code --json}) or
     * with an attached value ({@code --json=true}, {@code --json=false}), so the value, not the
     * option's presence, tells: {@code --json=false} is off, as is no {@code --json}.
     *
     * @param parsed the command's parse result
     * @param option the boolean option's name
     * @return the option's value, or false if it was not given
     */
    static boolean flag(ParseResult parsed, String option) {
        return parsed.matchedOptionValue(option, false);
    }

    /**
     * Parses a byte count: a decimal integer or {@code 0x} hex, optionally followed by one of the
     * binary suffixes K, M, G (case-insensitive; {@code 4K} is 4096 bytes).
     *
     * @param option the option's name, for the message
     * @param text the value as typed
     * @return the bytes: not negative
     * @throws IllegalArgumentException naming the value if it is not such a count, is negative,
     *     or does not fit in a long
     */
    static long size(String option, String text) {
        String t = text.strip();
        if (t.startsWith("-")) {
            throw bad(option, text, "must not be negative");
        }
        long unit = 1;
        int end = t.length();
        boolean hex = t.regionMatches(true, 0, "0x", 0, 2);
        // a hex number's last letter may be a digit of it, and the x of a bare 0x is its prefix
        boolean ofNumber = hex && (end == 2 || isHexDigit(t.charAt(end - 1)));
        if (end > 0 && Character.isLetter(t.charAt(end - 1)) && !ofNumber) {
            char s = t.charAt(end - 1);
            unit = switch (Character.toUpperCase(s)) {
                case 'K' -> KIB;
                case 'M' -> KIB * KIB;
                case 'G' -> KIB * KIB * KIB;
                default -> throw bad(option, text, "unknown suffix '" + s + "' (K, M or G)");
            };
            end--;
        }
        long n = number(option, text, t.substring(0, end), "a size (bytes, or with K, M or G)");
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw bad(option, text, "too large");
        }
    }

    /**
     * Parses a positive byte count as {@link #size}.
     *
     * @throws IllegalArgumentException naming the value if it is not a size or is 0
     */
    static long positiveSize(String option, String text) {
        long n = size(option, text);
        if (n == 0) {
            throw bad(option, text, "must be positive");
        }
        return n;
    }

    /**
     * Parses an address: decimal, or hex with a {@code 0x} prefix.
     *
     * @param option the option's name, for the message
     * @param text the value as typed
     * @return the address: not negative
     * @throws IllegalArgumentException naming the value otherwise
     */
    static long address(String option, String text) {
        String t = text.strip();
        if (t.startsWith("-")) {
            throw bad(option, text, "must not be negative");
        }
        return number(option, text, t, "a decimal or 0x hex address");
    }

    /**
     * Parses a count: a non-negative decimal integer.
     *
     * @throws IllegalArgumentException naming the value otherwise
     */
    static long count(String option, String text) {
        String t = text.strip();
        if (t.startsWith("-")) {
            throw bad(option, text, "must not be negative");
        }
        // digits only: Long.parseLong would also take a leading '+', which no count here needs
        if (t.isEmpty() || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(option, text, "not a count");
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw bad(option, text, "not a count"); // digits, but past Long.MAX_VALUE
        }
    }

    /**
     * Parses a translation granule: a size that is 4K, 16K or 64K.
     *
     * @return the granule in bytes
     * @throws IllegalArgumentException naming the value otherwise
     */
    static int granule(String option, String text) {
        long g = size(option, text);
        if (!GRANULES.contains((int) Math.min(g, Integer.MAX_VALUE))) {
            throw bad(option, text, "must be 4K, 16K or 64K");
        }
        return (int) g;
    }

    /**
     * Parses a comma-separated list of strategies: {@code per-page}, {@code linux},
     * {@code optimal} (case-insensitive); a repeated name counts once.
     *
     * @return the strategies in the order given, not empty
     * @throws IllegalArgumentException naming an unknown name, or an empty list
     */
    static List<InvalidationStrategy> strategies(String option, String text) {
        List<InvalidationStrategy> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            InvalidationStrategy s = switch (part.strip().toLowerCase(Locale.ROOT)) {
                case "per-page" -> InvalidationStrategy.PER_PAGE;
                case "linux" -> InvalidationStrategy.LINUX;
                case "optimal" -> InvalidationStrategy.OPTIMAL;
                default -> throw bad(option, text, "unknown strategy '" + part.strip()
                        + "' (per-page, linux, optimal)");
            };
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return List.copyOf(out);
    }

    /**
     * Checks that {@code value} (the value of {@code option}) is a multiple of {@code granule}.
     *
     * @throws IllegalArgumentException naming the value otherwise
     */
    static void checkAligned(String option, String text, long value, int granule) {
        if (value % granule != 0) {
            throw bad(option, text, "not a multiple of the granule " + human(granule));
        }
    }

    /** Returns the CLI's name of {@code s}: {@code per-page}, {@code linux} or {@code optimal}. */
    static String name(InvalidationStrategy s) {
        return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Returns {@code bytes} with the largest binary suffix that divides it: 4K, 64M, 1G. */
    static String human(long bytes) {
        String[] suffixes = {"", "K", "M", "G", "T", "P", "E"};
        long n = bytes;
        int i = 0;
        while (n != 0 && n % KIB == 0 && i < suffixes.length - 1) {
            n /= KIB;
            i++;
        }
        return n + suffixes[i];
    }

    private static long number(String option, String text, String digits, String what) {
        // Long.parseLong takes a sign, even after the 0x: only digits are a number here
        if (malformed(digits)) {
            throw bad(option, text, "not " + what);
        }
        try {
            if (digits.regionMatches(true, 0, "0x", 0, 2)) {
                return Long.parseLong(digits.substring(2), HEX);
            }
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw bad(option, text, "too large"); // digits only: the value does not fit
        }
    }

    /** Whether {@code digits} is not a decimal or 0x hex number at all (else: too long). */
    private static boolean malformed(String digits) {
        String d = digits.regionMatches(true, 0, "0x", 0, 2) ? digits.substring(2) : digits;
        boolean hex = d.length() != digits.length();
        if (d.isEmpty()) {
            return true;
        }
        for (int i = 0; i < d.length(); i++) {
            char c = d.charAt(i);
            if (hex ? !isHexDigit(c) : !isDigit(c)) {
                return true;
            }
        }
        return false;
    }

    /** An ASCII decimal digit: Long.parseLong would also read any other Unicode digit. */
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** An ASCII hex digit, either case: Character.digit would also take fullwidth forms. */
    private static boolean isHexDigit(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static IllegalArgumentException bad(String option, String text, String why) {
        return new IllegalArgumentException(option + "=" + text + ": " + why);
    }
}

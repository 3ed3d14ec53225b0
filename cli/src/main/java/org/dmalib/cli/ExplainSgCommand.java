package org.dmalib.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dmalib.dma.ops.DeviceParams;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code dmalib explain-sg}: reads a device's scatter-gather limits and one scatterlist as a
 * JSON object on standard input, maps the list with the real dma-iommu code on a throw-away
 * machine ({@link ExplainSg}) and prints the DMA segments {@code dma_map_sg} gave, relative to
 * the start of the list's IOVA range, as one JSON object.
 *
 * <p>Input: {@code {"granule":4096,"segBoundaryMask":65535,"maxSegSize":65536,
 * "segments":[{"paddr":1052672,"length":3584},...]}}, integers only, no other key;
 * {@code segBoundaryMask} defaults to all ones and {@code maxSegSize} to 65536. Output:
 * {@code {"count":N,"iovaLength":L,"segments":[{"offset":O,"length":M},...]}}.
 *
 * <p>Stateless; thread-safe.
 */
final class ExplainSgCommand {
    static final String NAME = "explain-sg";
    /** The longest input read, in characters. */
    static final int MAX_INPUT = 4 << 20;

    private static final String SOURCE = "stdin";
    private static final String GRANULE = "granule";
    private static final String MASK = "segBoundaryMask";
    private static final String MAX_SEG = "maxSegSize";
    private static final String SEGMENTS = "segments";
    private static final String PADDR = "paddr";
    private static final String LENGTH = "length";
    private static final Set<String> KEYS = Set.of(GRANULE, MASK, MAX_SEG, SEGMENTS);
    private static final Set<String> SEGMENT_KEYS = Set.of(PADDR, LENGTH);
    private static final String MISSING = "(missing)";
    // 2^64 - 1, the largest unsigned long: the all-ones mask as JSON writes it
    private static final BigInteger ALL_ONES = BigInteger.ONE.shiftLeft(Long.SIZE).subtract(BigInteger.ONE);
    // 2^12 - 1: a mask must cover at least one 4 KiB page
    private static final BigInteger MIN_MASK = BigInteger.valueOf(0xFFF);
    private static final int READ_CHUNK = 8192;

    private ExplainSgCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name(NAME).mixinStandardHelpOptions(true);
        spec.usageMessage().description(
                "Read a device's scatter-gather limits and one scatterlist as a JSON object on "
                        + "standard input, map the list with the real dma-iommu code (dma_map_sg "
                        + "for a non-coherent device behind an SMMUv3 DMA domain, on a "
                        + "throw-away machine) and print the DMA segments it gave as one JSON "
                        + "object.",
                "",
                "Input: {\"granule\":4096,\"segBoundaryMask\":65535,\"maxSegSize\":65536,"
                        + "\"segments\":[{\"paddr\":1052672,\"length\":3584},...]}. Integers "
                        + "only. granule is 4096, 16384 or 65536; segBoundaryMask is 2^n - 1, n "
                        + "from 12 to 64 (default all ones, 18446744073709551615); maxSegSize "
                        + "is 1 to 2147483647 (default 65536); every segment is at most "
                        + "maxSegSize long and cannot cross a segment boundary wherever it is "
                        + "mapped. The machine's RAM covers the segments, so they may end at "
                        + "most at 64G; the list holds at most 65536 segments and 4G in all.",
                "",
                "Output: {\"count\":N,\"iovaLength\":L,\"segments\":[{\"offset\":O,"
                        + "\"length\":M},...]}: the count DMA segments, offset being a "
                        + "segment's DMA address minus the start of the IOVA range allocated "
                        + "for the list, and iovaLength that range's padded, granule-aligned "
                        + "length before the allocator rounds it up.");
        return spec;
    }

    /**
     * Reads the request, maps it and prints the result.
     *
     * @param in the request, one JSON object
     * @param out where the result goes
     * @return {@link Main#OK}
     * @throws IllegalArgumentException naming a bad input value, as {@code what=value: why}
     * @throws UncheckedIOException if {@code in} cannot be read
     */
    static int run(Reader in, PrintWriter out) {
        ExplainSg.Request request = request(Json.parse(read(in), SOURCE));
        out.println(ExplainSg.run(request).json());
        return Main.OK;
    }

    /**
     * Checks a parsed input and returns it as a request.
     *
     * @param input the parsed JSON
     * @return the request
     * @throws IllegalArgumentException naming the first bad value
     */
    static ExplainSg.Request request(Json.Value input) {
        if (!(input instanceof Json.Obj top)) {
            throw bad(SOURCE, input, "not a JSON object");
        }
        checkKeys("", top, KEYS, String.join(", ", GRANULE, MASK, MAX_SEG, SEGMENTS));
        int granule = granule(required(top, GRANULE));
        long mask = mask(top.members().get(MASK));
        int maxSeg = maxSegSize(top.members().get(MAX_SEG));
        Json.Value segs = required(top, SEGMENTS);
        if (!(segs instanceof Json.Arr array)) {
            throw bad(SEGMENTS, segs, "not an array");
        }
        if (array.elements().isEmpty()) {
            throw bad(SEGMENTS, segs, "must not be empty");
        }
        if (array.elements().size() > ExplainSg.MAX_SEGMENTS) {
            throw bad(SEGMENTS, segs, "more than " + ExplainSg.MAX_SEGMENTS + " segments");
        }
        List<ExplainSg.Input> segments = new ArrayList<>(array.elements().size());
        long total = 0;
        for (int i = 0; i < array.elements().size(); i++) {
            ExplainSg.Input s = segment(SEGMENTS + "[" + i + "]", array.elements().get(i),
                    granule, mask, maxSeg);
            total += s.length();
            if (total > ExplainSg.MAX_TOTAL_LENGTH) {
                throw bad(SEGMENTS + "[" + i + "]." + LENGTH, s.length(), "the list's total "
                        + "length passes " + Args.human(ExplainSg.MAX_TOTAL_LENGTH)
                        + ", the most one run maps");
            }
            segments.add(s);
        }
        return new ExplainSg.Request(granule, mask, maxSeg, List.copyOf(segments));
    }

    private static ExplainSg.Input segment(String path, Json.Value v, int granule, long mask,
            int maxSeg) {
        if (!(v instanceof Json.Obj seg)) {
            throw bad(path, v, "not a JSON object");
        }
        checkKeys(path + ".", seg, SEGMENT_KEYS, PADDR + ", " + LENGTH);
        String paddrName = path + "." + PADDR;
        String lengthName = path + "." + LENGTH;
        Json.Value paddrValue = required(seg, PADDR, paddrName);
        BigInteger paddr = integer(paddrName, paddrValue);
        if (paddr.signum() < 0) {
            throw bad(paddrName, paddrValue, "must not be negative");
        }
        Json.Value lengthValue = required(seg, LENGTH, lengthName);
        BigInteger length = integer(lengthName, lengthValue);
        if (length.signum() <= 0) {
            throw bad(lengthName, lengthValue, "must be positive");
        }
        if (length.compareTo(BigInteger.valueOf(maxSeg)) > 0) {
            throw bad(lengthName, lengthValue, "longer than " + MAX_SEG + "=" + maxSeg
                    + " (dma_map_sg takes no longer segment)");
        }
        if (paddr.add(length).compareTo(BigInteger.valueOf(ExplainSg.MAX_RAM)) > 0) {
            throw bad(paddrName, paddrValue, "the segment ends past "
                    + Args.human(ExplainSg.MAX_RAM) + ", the most RAM the throw-away machine has");
        }
        long p = paddr.longValueExact();
        int len = length.intValueExact();
        if (crossesEverywhere(p, len, granule, mask)) {
            throw bad(lengthName, lengthValue, String.format("from paddr=0x%x it crosses a "
                    + "segment boundary (every 0x%x bytes) wherever it is mapped", p, mask + 1));
        }
        return new ExplainSg.Input(p, len);
    }

    /**
     * Whether a segment cannot avoid crossing a boundary of {@code mask + 1}: its DMA address
     * keeps its offset within the granule, so within {@code min(boundary, granule)}, and
     * dma-iommu pads the list so that a segment that fits between two boundaries is mapped
     * between them.
     */
    private static boolean crossesEverywhere(long paddr, int length, int granule, long mask) {
        if (mask == -1L || mask == Long.MAX_VALUE) {
            // a boundary of 2^64 or 2^63: past any segment of the capped machine
            return false;
        }
        long boundary = mask + 1;
        long offset = paddr & (Math.min(boundary, granule) - 1);
        return offset + length > boundary;
    }

    private static int granule(Json.Value v) {
        BigInteger g = integer(GRANULE, v);
        if (g.bitLength() >= Integer.SIZE || !Args.GRANULES.contains(g.intValue())) {
            throw bad(GRANULE, v, "must be 4096, 16384 or 65536");
        }
        return g.intValue();
    }

    private static long mask(Json.Value v) {
        if (v == null) {
            return DeviceParams.DEFAULT_SEGMENT_BOUNDARY_MASK;
        }
        BigInteger m = integer(MASK, v);
        // 2^n - 1: non-negative, at most 2^64 - 1, and m + 1 a power of two
        if (m.signum() < 0 || m.compareTo(ALL_ONES) > 0 || m.compareTo(MIN_MASK) < 0
                || m.add(BigInteger.ONE).bitCount() != 1) {
            throw bad(MASK, v, "must be 2^n - 1 with n from 12 to 64");
        }
        // two's complement: 2^64 - 1 becomes -1, all ones
        return m.longValue();
    }

    private static int maxSegSize(Json.Value v) {
        if (v == null) {
            return DeviceParams.DEFAULT_MAX_SEGMENT_SIZE;
        }
        BigInteger n = integer(MAX_SEG, v);
        if (n.signum() <= 0) {
            throw bad(MAX_SEG, v, "must be positive");
        }
        if (n.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0) {
            throw bad(MAX_SEG, v, "must be at most " + Integer.MAX_VALUE);
        }
        return n.intValue();
    }

    private static void checkKeys(String prefix, Json.Obj obj, Set<String> allowed, String known) {
        for (Map.Entry<String, Json.Value> e : obj.members().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw bad(prefix + Json.printable(e.getKey()), e.getValue(),
                        "unknown key (" + known + ")");
            }
        }
    }

    private static Json.Value required(Json.Obj obj, String key) {
        return required(obj, key, key);
    }

    private static Json.Value required(Json.Obj obj, String key, String name) {
        Json.Value v = obj.members().get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + "=" + MISSING + ": required");
        }
        return v;
    }

    private static BigInteger integer(String name, Json.Value v) {
        BigInteger n = v instanceof Json.Num num ? num.integer() : null;
        if (n == null) {
            throw bad(name, v, "not an integer");
        }
        return n;
    }

    /** Reads all of {@code in}, at most {@link #MAX_INPUT} characters. */
    private static String read(Reader in) {
        StringBuilder b = new StringBuilder();
        char[] buf = new char[READ_CHUNK];
        try {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                b.append(buf, 0, n);
                if (b.length() > MAX_INPUT) {
                    throw new IllegalArgumentException(SOURCE + "=(over " + Args.human(MAX_INPUT)
                            + " characters): too long for one request");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(SOURCE + ": cannot read: " + e.getMessage(), e);
        }
        return b.toString();
    }

    private static IllegalArgumentException bad(String name, Json.Value v, String why) {
        return new IllegalArgumentException(name + "=" + Json.quote(v.text()) + ": " + why);
    }

    private static IllegalArgumentException bad(String name, long value, String why) {
        return new IllegalArgumentException(name + "=" + value + ": " + why);
    }
}

package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code dmalib explain-sg}: the reference examples (§2.4, §2.5) exactly, the limits that split
 * and pad a list, and every kind of bad input as one line and exit 2.
 */
class ExplainSgCommandTest {
    private static String seg(long paddr, long length) {
        return "{\"paddr\":" + paddr + ",\"length\":" + length + "}";
    }

    private static String input(String head, String... segments) {
        return "{" + head + (head.isEmpty() ? "" : ",") + "\"segments\":["
                + String.join(",", segments) + "]}";
    }

    private static String output(long iovaLength, long... offsetsAndLengths) {
        StringBuilder b = new StringBuilder("{\"count\":" + offsetsAndLengths.length / 2
                + ",\"iovaLength\":" + iovaLength + ",\"segments\":[");
        for (int i = 0; i < offsetsAndLengths.length; i += 2) {
            b.append(i == 0 ? "" : ",").append("{\"offset\":").append(offsetsAndLengths[i])
                    .append(",\"length\":").append(offsetsAndLengths[i + 1]).append('}');
        }
        return b.append("]}").toString();
    }

    private static String explain(String stdin) {
        CliRun run = CliRun.withStdin(stdin, "explain-sg");
        assertEquals(Main.OK, run.exit(), run::toString);
        assertEquals("", run.err());
        assertEquals(1, run.lines().size(), run.out());
        return run.lines().get(0);
    }

    private static String error(String stdin) {
        String line = CliRun.withStdin(stdin, "explain-sg").oneLineError();
        assertTrue(line.startsWith("dmalib explain-sg: "), line);
        return line.substring("dmalib explain-sg: ".length());
    }

    @Test
    void theWorkedExampleOfFinaliseSgIsTwoSegments() {
        // §2.5: [off 0x200 len 0xE00] [off 0 len 0x1000] [off 0 len 0x800] [off 0 len 0x1000]
        // on separate pages; the third ends mid-page, so the fourth starts a new DMA segment
        String in = input("\"granule\":4096,\"segBoundaryMask\":18446744073709551615,"
                        + "\"maxSegSize\":65536",
                seg(0x101200, 0xE00), seg(0x103000, 0x1000), seg(0x105000, 0x800),
                seg(0x107000, 0x1000));
        assertEquals(output(0x4000, 0x200, 0x2600, 0x3000, 0x1000), explain(in));
    }

    @Test
    void omittedLimitsAreAllOnesAndSixtyFourKib() {
        String in = input("\"granule\":4096", seg(0x101200, 0xE00), seg(0x103000, 0x1000),
                seg(0x105000, 0x800), seg(0x107000, 0x1000));
        assertEquals(output(0x4000, 0x200, 0x2600, 0x3000, 0x1000), explain(in));
        // 20 contiguous pages: 80 KiB, cut at the default 64 KiB
        String[] pages = new String[20];
        for (int i = 0; i < pages.length; i++) {
            pages[i] = seg(0x200000 + i * 4096L, 4096);
        }
        assertEquals(output(0x14000, 0, 0x10000, 0x10000, 0x4000),
                explain(input("\"granule\":4096", pages)));
    }

    @Test
    void theBoundaryPadsTheFirstSegmentSoTheSecondStartsOnABoundary() {
        // §2.4: lengths 0xC000 then 0x8000 under mask 0xFFFF: 0x4000 of padding after the first
        String in = input("\"granule\":4096,\"segBoundaryMask\":65535,\"maxSegSize\":1048576",
                seg(0x100000, 0xC000), seg(0x200000, 0x8000));
        assertEquals(output(0x18000, 0, 0xC000, 0x10000, 0x8000), explain(in));
        // without the boundary the same list is one segment of 0x14000 bytes, no padding
        assertEquals(output(0x14000, 0, 0x14000), explain(input(
                "\"granule\":4096,\"maxSegSize\":1048576", seg(0x100000, 0xC000),
                seg(0x200000, 0x8000))));
    }

    @Test
    void theMaxSegmentSizeSplitsWhatWouldMerge() {
        String[] pages = {seg(0x300000, 4096), seg(0x302000, 4096), seg(0x304000, 4096),
            seg(0x306000, 4096), seg(0x308000, 4096)};
        assertEquals(output(0x5000, 0, 0x2000, 0x2000, 0x2000, 0x4000, 0x1000),
                explain(input("\"granule\":4096,\"maxSegSize\":8192", pages)));
        // 12 KiB: three pages, then the last two
        assertEquals(output(0x5000, 0, 0x3000, 0x3000, 0x2000),
                explain(input("\"granule\":4096,\"maxSegSize\":12288", pages)));
    }

    @Test
    void aSixteenKibGranuleKeepsOffsetsWithinItsGranule() {
        String[] list = {seg(0x101200, 0xE00), seg(0x104000, 0x4000), seg(0x10C000, 0x2000)};
        // 0x101200 is 0x1200 into its 16 KiB granule and ends mid-granule: closed; the next
        // two start on granules and merge
        assertEquals(output(0xC000, 0x1200, 0xE00, 0x4000, 0x6000),
                explain(input("\"granule\":16384", list)));
        // at 4 KiB the first ends on a page end, so all three merge
        assertEquals(output(0x7000, 0x200, 0x6E00), explain(input("\"granule\":4096", list)));
        // at 64 KiB every segment is in its own granule
        assertEquals(output(0x30000, 0x1200, 0xE00, 0x14000, 0x4000, 0x2C000, 0x2000),
                explain(input("\"granule\":65536", list)));
    }

    @Test
    void anyPhysicalAddressUpToTheCapIsUsable() {
        assertEquals(output(0x2000, 0, 0x1800),
                explain(input("\"granule\":4096", seg(0, 0x1000), seg(0x1000, 0x800))));
        long high = (3L << 30) + 0x80;
        assertEquals(output(0x1000, 0x80, 0x100),
                explain(input("\"granule\":4096", seg(high, 0x100))));
        assertEquals(output(0x1000, 0, 0x1000),
                explain(input("\"granule\":4096", seg(ExplainSg.MAX_RAM - 0x1000, 0x1000))));
    }

    @Test
    void aBoundarySmallerThanTheGranuleKeepsEverySegmentApart() {
        // mask 0xFFF under 64 KiB granules: a segment 0x1000 into its granule still fits a
        // 4 KiB window, and DMA segments never merge (every granule starts on a boundary)
        assertEquals(output(0x20000, 0x1000, 0x1000, 0x10000, 0x1000),
                explain(input("\"granule\":65536,\"segBoundaryMask\":4095",
                        seg(0x401000, 0x1000), seg(0x500000, 0x1000))));
        assertEquals("segments[0].length=4096: from paddr=0x401800 it crosses a segment "
                        + "boundary (every 0x1000 bytes) wherever it is mapped",
                error(input("\"granule\":65536,\"segBoundaryMask\":4095", seg(0x401800, 0x1000))));
    }

    @Test
    void theCrossingCheckIsExact() {
        // what the check accepts the real code maps within boundaries; what it refuses, the
        // real code (run without the check) maps across one
        Random rnd = new Random(42);
        int[] granules = {4096, 16384, 65536};
        int accepted = 0;
        int refused = 0;
        for (int run = 0; run < 80; run++) {
            int granule = granules[rnd.nextInt(granules.length)];
            long mask = (1L << (12 + rnd.nextInt(6))) - 1;
            List<ExplainSg.Input> in = new ArrayList<>();
            List<String> json = new ArrayList<>();
            for (int i = 0, n = 1 + rnd.nextInt(5); i < n; i++) {
                long paddr = (1L << 20) + i * (1L << 19) + rnd.nextInt(1 << 17);
                // mostly within a boundary window, sometimes up to a granule more
                int slack = rnd.nextInt(4) == 0 ? granule : 0;
                long off = paddr & (Math.min(mask + 1, granule) - 1);
                int length = 1 + rnd.nextInt((int) (mask + 1 - off + slack));
                in.add(new ExplainSg.Input(paddr, length));
                json.add(seg(paddr, length));
            }
            boolean ok;
            try {
                ExplainSgCommand.request(Json.parse(input("\"granule\":" + granule
                        + ",\"segBoundaryMask\":" + mask + ",\"maxSegSize\":1048576",
                        json.toArray(new String[0])), "stdin"));
                ok = true;
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("crosses a segment boundary"), e.getMessage());
                ok = false;
            }
            ExplainSg.Result r = ExplainSg.run(new ExplainSg.Request(granule, mask, 1 << 20, in));
            boolean crosses = false;
            for (ExplainSg.Output o : r.segments()) {
                // the range starts on a boundary when it is longer than one, so offsets suffice
                crosses |= o.offset() / (mask + 1) != (o.offset() + o.length() - 1) / (mask + 1);
            }
            int g = granule;
            assertEquals(!ok, crosses, () -> "granule=" + g + " mask=" + mask + " " + in + " -> "
                    + r.json());
            accepted += ok ? 1 : 0;
            refused += ok ? 0 : 1;
        }
        assertTrue(accepted > 20 && refused > 10, accepted + " accepted, " + refused + " refused");
    }

    @Test
    void theHelpDescribesInputAndOutput() {
        CliRun run = CliRun.of("explain-sg", "--help");
        assertEquals(Main.OK, run.exit());
        assertTrue(run.out().contains("segBoundaryMask"), run.out());
        assertTrue(run.out().contains("iovaLength"), run.out());
        assertTrue(CliRun.of("--help").out().contains("explain-sg"));
    }

    @Test
    void malformedJsonIsOneLine() {
        assertEquals("stdin:1:17=(end of input): expected a key in double quotes",
                error("{\"granule\":4096,"));
        assertEquals("stdin:1:1=(end of input): expected a JSON value", error(""));
        assertEquals("stdin=[]: not a JSON object", error("[]"));
        String ok = input("\"granule\":4096", seg(0, 1));
        assertEquals("stdin:1:" + (ok.length() + 1) + "='x': expected nothing after the JSON "
                + "value", error(ok + "x"));
        assertEquals("stdin=(over 4M characters): too long for one request",
                error(" ".repeat(ExplainSgCommand.MAX_INPUT + 1)));
        assertEquals(output(0x1000, 0, 1),
                explain(" ".repeat(ExplainSgCommand.MAX_INPUT - ok.length()) + ok));
    }

    @Test
    void keysMustBeKnownPresentAndUnique() {
        assertEquals("granule=(missing): required", error(input("", seg(0, 1))));
        assertEquals("segments=(missing): required", error("{\"granule\":4096}"));
        assertEquals("granules=4096: unknown key (granule, segBoundaryMask, maxSegSize, "
                + "segments)", error(input("\"granule\":4096,\"granules\":4096", seg(0, 1))));
        assertEquals("segments[0].size=1: unknown key (paddr, length)",
                error(input("\"granule\":4096", "{\"paddr\":0,\"length\":1,\"size\":1}")));
        assertEquals("segments[1].length=(missing): required",
                error(input("\"granule\":4096", seg(0, 1), "{\"paddr\":0}")));
        assertEquals("segments[0].paddr=(missing): required",
                error(input("\"granule\":4096", "{\"length\":1}")));
        assertEquals("granule=4096: duplicate key",
                error(input("\"granule\":4096,\"granule\":4096", seg(0, 1))));
        assertEquals("segments[0].paddr=8: duplicate key",
                error(input("\"granule\":4096", "{\"paddr\":0,\"paddr\":8,\"length\":1}")));
        assertEquals("a\\u000ab=1: unknown key (granule, segBoundaryMask, maxSegSize, segments)",
                error("{\"a\\nb\":1}"));
    }

    @Test
    void valuesMustBeIntegers() {
        assertEquals("granule=4096.0: not an integer", error(input("\"granule\":4096.0", seg(0, 1))));
        assertEquals("granule=4.096e3: not an integer", error(input("\"granule\":4.096e3", seg(0, 1))));
        assertEquals("granule=\"4K\": not an integer", error(input("\"granule\":\"4K\"", seg(0, 1))));
        assertEquals("maxSegSize=null: not an integer",
                error(input("\"granule\":4096,\"maxSegSize\":null", seg(0, 1))));
        assertEquals("segments[0].length=true: not an integer",
                error(input("\"granule\":4096", "{\"paddr\":0,\"length\":true}")));
        assertEquals("segments=5: not an array", error("{\"granule\":4096,\"segments\":5}"));
        assertEquals("segments=[]: must not be empty", error(input("\"granule\":4096")));
        assertEquals("segments[1]=[1]: not a JSON object",
                error(input("\"granule\":4096", seg(0, 1), "[1]")));
    }

    @Test
    void limitsMustBeWhatTheDmaApiTakes() {
        assertEquals("granule=8192: must be 4096, 16384 or 65536", error(input("\"granule\":8192", seg(0, 1))));
        assertEquals("granule=4294971392: must be 4096, 16384 or 65536",
                error(input("\"granule\":4294971392", seg(0, 1))));
        for (String m : new String[] {"65534", "2047", "-1", "0", "18446744073709551616",
            "36893488147419103231"}) {
            assertEquals("segBoundaryMask=" + m + ": must be 2^n - 1 with n from 12 to 64",
                    error(input("\"granule\":4096,\"segBoundaryMask\":" + m, seg(0, 1))), m);
        }
        assertEquals(output(0x1000, 0, 1), explain(input(
                "\"granule\":4096,\"segBoundaryMask\":4095", seg(0, 1))));
        assertEquals(output(0x1000, 0, 1), explain(input(
                "\"granule\":4096,\"segBoundaryMask\":9223372036854775807", seg(0, 1))));
        assertEquals("maxSegSize=0: must be positive",
                error(input("\"granule\":4096,\"maxSegSize\":0", seg(0, 1))));
        assertEquals("maxSegSize=-5: must be positive",
                error(input("\"granule\":4096,\"maxSegSize\":-5", seg(0, 1))));
        assertEquals("maxSegSize=2147483648: must be at most 2147483647",
                error(input("\"granule\":4096,\"maxSegSize\":2147483648", seg(0, 1))));
    }

    @Test
    void segmentsMustFitTheDeviceAndTheMachine() {
        assertEquals("segments[0].paddr=-4096: must not be negative",
                error(input("\"granule\":4096", seg(-4096, 1))));
        assertEquals("segments[1].length=0: must be positive",
                error(input("\"granule\":4096", seg(0, 1), seg(0x1000, 0))));
        assertEquals("segments[0].length=65537: longer than maxSegSize=65536 (dma_map_sg takes "
                + "no longer segment)", error(input("\"granule\":4096", seg(0, 65537))));
        assertEquals("segments[0].paddr=68719472640: the segment ends past 64G, the most RAM "
                        + "the throw-away machine has",
                error(input("\"granule\":4096", seg(ExplainSg.MAX_RAM - 0x1000, 0x1001))));
        assertEquals("segments[0].paddr=99999999999999999999999: the segment ends past 64G, "
                        + "the most RAM the throw-away machine has",
                error(input("\"granule\":4096", seg(0, 1).replace("0,", "99999999999999999999999,"))));
        assertEquals("segments[0].length=65536: from paddr=0x200 it crosses a segment boundary "
                        + "(every 0x10000 bytes) wherever it is mapped",
                error(input("\"granule\":4096,\"segBoundaryMask\":65535", seg(0x200, 0x10000))));
        String big = seg(0, Integer.MAX_VALUE);
        assertEquals("segments[2].length=2147483647: the list's total length passes 4G, the "
                        + "most one run maps",
                error(input("\"granule\":4096,\"maxSegSize\":2147483647", big, big, big)));
        String[] many = new String[ExplainSg.MAX_SEGMENTS + 1];
        java.util.Arrays.fill(many, seg(0, 1));
        String line = error(input("\"granule\":4096", many));
        assertTrue(line.startsWith("segments=[{\"paddr\":0,\"length\":1},"), line);
        assertTrue(line.endsWith("...: more than 65536 segments"), line);
        assertFalse(line.length() > 100, line);
    }

    @Test
    void theLimitsThemselvesAreAccepted() {
        // exactly MAX_SEGMENTS segments, together exactly MAX_TOTAL_LENGTH bytes: accepted
        long each = ExplainSg.MAX_TOTAL_LENGTH / ExplainSg.MAX_SEGMENTS;
        String[] full = new String[ExplainSg.MAX_SEGMENTS];
        for (int i = 0; i < full.length; i++) {
            full[i] = seg(i * each, each);
        }
        ExplainSg.Request r = ExplainSgCommand.request(Json.parse(
                input("\"granule\":4096,\"maxSegSize\":" + each, full), "stdin"));
        assertEquals(ExplainSg.MAX_SEGMENTS, r.segments().size());
        assertEquals(ExplainSg.MAX_TOTAL_LENGTH,
                r.segments().stream().mapToLong(ExplainSg.Input::length).sum());
        // and the throw-away machine has the page tables to map all of it in one IOVA range,
        // spread out so that no block fits: 1M pages of 4K, each segment its own DMA segment
        String[] spread = new String[full.length];
        for (int i = 0; i < full.length; i++) {
            spread[i] = seg(2L * i * each, each);
        }
        ExplainSg.Result mapped = ExplainSg.run(ExplainSgCommand.request(Json.parse(
                input("\"granule\":4096,\"maxSegSize\":" + each, spread), "stdin")));
        assertEquals(ExplainSg.MAX_TOTAL_LENGTH, mapped.iovaLength());
        assertEquals(ExplainSg.MAX_SEGMENTS, mapped.segments().size());
        for (int i = 0; i < full.length; i++) {
            assertEquals(new ExplainSg.Output(i * each, each), mapped.segments().get(i));
        }
        // one byte more is refused, naming the segment that passed the limit
        String[] over = Arrays.copyOf(full, full.length);
        over[over.length - 1] = seg((over.length - 1) * each, each + 1);
        assertEquals("segments[65535].length=65537: the list's total length passes 4G, the most "
                + "one run maps", error(input("\"granule\":4096,\"maxSegSize\":" + (each + 1), over)));
    }
}

package org.dmalib.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.dmalib.iommu.api.internal.tlb.CostModel;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the default suite (the heap measurement in this JVM, then the JMH benchmarks in forks) and
 * prints each benchmark against its baseline, the ratio and the goal, as Markdown; writes
 * {@code benchmarks/target/report.md}, {@code benchmarks/target/jmh-result.json} and the teardown
 * plot {@code benchmarks/target/teardown.svg}.
 *
 * <p>Arguments: {@code --sizes=1,4,16} (teardown domain sizes in GiB), {@code --segments=8,64,512}
 * (scatterlist lengths), {@code --heap-gib=16} (0 skips the heap measurement),
 * {@code --out=benchmarks/target}. Run it with the default heap,
 * so the heap figure is against the JVM's default maximum.
 *
 * <p>Thread-safety: a command-line entry point; {@link #main} runs the suite on the calling thread
 * and is not for concurrent use (the forks write the same output files).
 */
public final class Report {
    private static final String[] STRATEGIES = {"PER_PAGE", "LINUX", "LINUX_NO_RIL", "OPTIMAL"};

    private Report() {}

    /**
     * Runs the suite.
     *
     * @param args see the class comment
     * @throws RunnerException if JMH fails
     */
    public static void main(String[] args) throws RunnerException {
        String sizes = "1,4,16";
        String segments = "8,64,512";
        int heapGib = 16;
        Path out = Path.of("benchmarks", "target");
        for (String a : args) {
            if (a.startsWith("--sizes=")) {
                sizes = a.substring("--sizes=".length());
            } else if (a.startsWith("--segments=")) {
                segments = a.substring("--segments=".length());
            } else if (a.startsWith("--heap-gib=")) {
                heapGib = Integer.parseInt(a.substring("--heap-gib=".length()));
            } else if (a.startsWith("--out=")) {
                out = Path.of(a.substring("--out=".length()));
            } else {
                throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        long start = System.nanoTime();
        StringBuilder md = new StringBuilder();
        Runtime rt = Runtime.getRuntime();
        md.append(String.format(Locale.ROOT, "Machine: %d cores, JDK %s (%s), date %s (UTC)%n%n",
                rt.availableProcessors(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), LocalDate.now(ZoneOffset.UTC)));

        if (heapGib > 0) {
            HeapFootprint.Result h = HeapFootprint.measure(heapGib);
            md.append(String.format(Locale.ROOT, "Heap: a fully mapped %d GiB 4K domain (%d pages)"
                    + " retains %.1f MiB of heap, %.2f bytes per mapped page (PTE: 8 bytes, ratio"
                    + " %.2f); max heap %.1f GiB (JVM default)%n%n", h.gib(), h.pages(),
                    h.retainedBytes() / 1048576.0, h.bytesPerPage(), h.bytesPerPage() / 8,
                    h.maxHeap() / (double) (1L << 30)));
        }

        createDirectories(out);
        ChainedOptionsBuilder opts = new OptionsBuilder()
                .include(TeardownBenchmark.class.getName())
                .include(MapBenchmark.class.getName())
                .include(TranslationBenchmark.class.getName())
                .include(ScatterListBenchmark.class.getName())
                .include(IovaBenchmark.class.getName())
                .param("gib", sizes.split(","))
                .param("segments", segments.split(","))
                .resultFormat(ResultFormatType.JSON)
                .result(out.resolve("jmh-result.json").toString());
        Collection<RunResult> results = new Runner(opts.build()).run();

        Map<String, Map<String, Teardown>> teardown = new TreeMap<>(
                (a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
        Map<String, Double> map = new TreeMap<>();
        Map<String, Double> translation = new TreeMap<>();
        Map<String, Double> sg = new TreeMap<>();
        Map<String, Double> iova = new TreeMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            // single shots (teardown, map): the median of the shots, both sides alike, so that one
            // slow shot (a late JIT compile, a host stall) does not move the figure (JMH's 50th
            // percentile: the teardown's 5 shots give the middle one, the map's 20 the mean of the
            // two middle ones); others: the mean
            double score = name.contains("TeardownBenchmark.") || name.contains("MapBenchmark.")
                    ? r.getPrimaryResult().getStatistics().getPercentile(50)
                    : r.getPrimaryResult().getScore();
            if (name.endsWith("TeardownBenchmark.teardown")) {
                teardown.computeIfAbsent(r.getParams().getParam("gib"), k -> new TreeMap<>())
                        .put(r.getParams().getParam("strategy"), new Teardown(score,
                                lastIteration(r, "commands"), lastIteration(r, "syncs"),
                                lastIteration(r, "modelledNs")));
            } else if (name.contains("MapBenchmark.")) {
                map.put(name.substring(name.lastIndexOf('.') + 1) + " " + r.getParams().getParam("leaf"),
                        score);
            } else if (name.contains("TranslationBenchmark.")) {
                translation.put(name.substring(name.lastIndexOf('.') + 1), score);
            } else if (name.contains("ScatterListBenchmark.")) {
                String n = r.getParams().getParam("segments");
                sg.put(name.substring(name.lastIndexOf('.') + 1) + (n == null ? "" : " " + n), score);
            } else if (name.contains("IovaBenchmark.")) {
                iova.put(name.substring(name.lastIndexOf('.') + 1), score);
            }
        }

        md.append("| Benchmark | dmalib | Baseline | Ratio | Goal | Met |\n");
        md.append("|---|---|---|---|---|---|\n");
        for (Map.Entry<String, Map<String, Teardown>> e : teardown.entrySet()) {
            Teardown perPage = e.getValue().get("PER_PAGE");
            for (String s : STRATEGIES) {
                Teardown t = e.getValue().get(s);
                if (perPage == null || t == null || s.equals("PER_PAGE")) {
                    continue;
                }
                double ratio = perPage.wallMs / t.wallMs;
                boolean goal = s.equals("OPTIMAL") && e.getKey().equals("4");
                md.append(String.format(Locale.ROOT,
                        "| Teardown %s GiB, %s vs PER_PAGE (wall) | %.3f ms | %.1f ms | %.0f× less | %s | %s |%n",
                        e.getKey(), s, t.wallMs, perPage.wallMs, ratio,
                        goal ? "≥ 1000×" : "–", goal ? (ratio >= 1000 ? "yes" : "**no**") : "–"));
            }
            Teardown opt = e.getValue().get("OPTIMAL");
            if (opt != null) {
                long fewest = Long.MAX_VALUE;
                for (Teardown t : e.getValue().values()) {
                    fewest = Math.min(fewest, t.commands);
                }
                md.append(String.format(Locale.ROOT,
                        "| Teardown %s GiB, OPTIMAL commands vs the fewest of any strategy | %d | %d | – | ≤ | %s |%n",
                        e.getKey(), opt.commands, fewest, opt.commands <= fewest ? "yes" : "**no**"));
            }
        }
        Map<String, Teardown> at4 = teardown.get("4");
        if (at4 == null || at4.get("OPTIMAL") == null || at4.get("PER_PAGE") == null) {
            notMeasured(md, "Teardown 4 GiB, OPTIMAL vs PER_PAGE (wall)", "≥ 1000×");
        }
        for (String leaf : new String[] {"4K", "2M"}) {
            Double lib = map.get("map " + leaf);
            Double raw = map.get("rawLoop " + leaf);
            if (lib != null && raw != null) {
                double ratio = lib / raw;
                md.append(String.format(Locale.ROOT,
                        "| Map 1 GiB as %s vs raw PTE stores | %.0f µs | %.0f µs | %.2f× | ≤ 2× | %s |%n",
                        leaf, lib, raw, ratio, ratio <= 2 ? "yes" : "**no**"));
            } else {
                notMeasured(md, "Map 1 GiB as " + leaf + " vs raw PTE stores", "≤ 2×");
            }
        }
        Double hit = translation.get("iotlbHit");
        Double miss = translation.get("missAndWalk");
        if (hit != null && miss != null) {
            double ratio = miss / hit;
            md.append(String.format(Locale.ROOT,
                    "| 64 B device read, IOTLB hit vs miss and walk | %.0f ns | %.0f ns | %.2f× faster | ≥ 5× | %s |%n",
                    hit, miss, ratio, ratio >= 5 ? "yes" : "**no**"));
        } else {
            notMeasured(md, "64 B device read, IOTLB hit vs miss and walk", "≥ 5×");
        }
        Double direct = translation.get("untranslated");
        if (direct != null) {
            md.append(String.format(Locale.ROOT,
                    "| (context, no goal) the same read untranslated, no SMMU | %.0f ns | – | – | – | – |%n",
                    direct));
        }

        sgRows(md, sg, segments.split(","));
        iovaRows(md, iova);

        md.append("\nTeardown per strategy (commands and syncs from the driver's counters, detach's"
                + " CFGI_STE and freeDomain's TLBI_NH_ASID included; modelled time"
                + " CostModel.GEM5):\n\n");
        md.append("| GiB | Strategy | Commands | Syncs | Modelled | Wall |\n|---|---|---|---|---|---|\n");
        for (Map.Entry<String, Map<String, Teardown>> e : teardown.entrySet()) {
            for (String s : STRATEGIES) {
                Teardown t = e.getValue().get(s);
                if (t != null) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %.3f ms |%n",
                            e.getKey(), s, t.commands, t.syncs, human(t.modelledNs), t.wallMs));
                }
            }
        }
        sgCounts(md, segments.split(","), sg);
        md.append(String.format(Locale.ROOT, "%nSuite run time: %.1f min%n",
                (System.nanoTime() - start) / 60e9));
        System.out.println();
        System.out.print(md);
        write(out.resolve("report.md"), md.toString());
        write(out.resolve("teardown.svg"), TeardownPlot.svg(teardown, STRATEGIES));
    }

    /** The scatterlist rows: framework / dmalib wall time per list length, and the context pair. */
    private static void sgRows(StringBuilder md, Map<String, Double> sg, String[] segments) {
        String goalLength = String.valueOf(ScatterListBenchmark.CONTEXT_SEGMENTS);
        if (sg.get("dmalib " + goalLength) == null || sg.get("framework " + goalLength) == null) {
            notMeasured(md, "SG round trip, " + goalLength
                    + " × 4K, mapSg + unmap vs per-page framework (wall)", "≥ 10×");
        }
        for (String n : segments) {
            Double lib = sg.get("dmalib " + n);
            Double base = sg.get("framework " + n);
            if (lib != null && base != null) {
                double ratio = base / lib;
                boolean goal = n.equals(String.valueOf(ScatterListBenchmark.CONTEXT_SEGMENTS));
                md.append(String.format(Locale.ROOT,
                        "| SG round trip, %s × 4K, mapSg + unmap vs per-page framework (wall) | %.1f µs | %.1f µs | %.2f× faster | %s | %s |%n",
                        n, lib, base, ratio, goal ? "≥ 10×" : "–",
                        goal ? (ratio >= 10 ? "yes" : "**no**") : "–"));
            }
        }
        Double lib = sg.get("dmalibCoherent");
        Double base = sg.get("frameworkCoherent");
        if (lib != null && base != null) {
            md.append(String.format(Locale.ROOT,
                    "| (context, no goal) the same at %d × 4K, coherent device (no cache maintenance) | %.1f µs | %.1f µs | %.2f× faster | – | – |%n",
                    ScatterListBenchmark.CONTEXT_SEGMENTS, lib, base, base / lib));
        }
    }

    /** The IOVA rows: rcache vs tree on one thread, the rcache's scaling, the tree's (context). */
    private static void iovaRows(StringBuilder md, Map<String, Double> iova) {
        Double c1 = iova.get("cached1");
        Double c2 = iova.get("cached2");
        Double t1 = iova.get("tree1");
        Double t2 = iova.get("tree2");
        if (c1 != null && t1 != null) {
            double ratio = c1 / t1;
            md.append(String.format(Locale.ROOT,
                    "| IOVA alloc + free, 1 thread, rcache vs tree only (ops/µs) | %.1f | %.1f | %.2f× | ≥ 5× | %s |%n",
                    c1, t1, ratio, ratio >= 5 ? "yes" : "**no**"));
        } else {
            notMeasured(md, "IOVA alloc + free, 1 thread, rcache vs tree only (ops/µs)", "≥ 5×");
        }
        if (c1 != null && c2 != null) {
            double ratio = c2 / c1;
            md.append(String.format(Locale.ROOT,
                    "| IOVA alloc + free with rcache, 2 threads vs 1 (ops/µs) | %.1f | %.1f | %.2f× | ≥ 1.6× | %s |%n",
                    c2, c1, ratio, ratio >= 1.6 ? "yes" : "**no**"));
        } else {
            notMeasured(md, "IOVA alloc + free with rcache, 2 threads vs 1 (ops/µs)", "≥ 1.6×");
        }
        Double sep = iova.get("separate2");
        if (c1 != null && sep != null) {
            md.append(String.format(Locale.ROOT,
                    "| (control, no goal) 2 threads on 2 separate domains (nothing shared) vs 1 (ops/µs) | %.1f | %.1f | %.2f× | – | – |%n",
                    sep, c1, sep / c1));
        }
        if (t1 != null && t2 != null) {
            md.append(String.format(Locale.ROOT,
                    "| (context, no goal) the tree only, 2 threads vs 1 (ops/µs) | %.1f | %.1f | %.2f× | – | – |%n",
                    t2, t1, t2 / t1));
        }
    }

    /**
     * What one scatterlist round trip issues on each side, counted in this JVM (exact and
     * deterministic), with the invalidation's modelled time ({@code CostModel.GEM5}).
     */
    private static void sgCounts(StringBuilder md, String[] segments, Map<String, Double> sg) {
        if (sg.isEmpty()) {
            return;
        }
        md.append("\nScatterlist round trip, what one round trip issues (TLBI: commands other than"
                + " CMD_SYNC; barriers: cache-maintenance DSBs; modelled: the invalidation commands"
                + " alone, CostModel.GEM5):\n\n");
        md.append("| Segments | Side | TLBI | CMD_SYNC | Barriers | Modelled | Wall |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (String n : segments) {
            ScatterListBenchmark.Counts[] c = ScatterListBenchmark.roundTripCounts(Integer.parseInt(n));
            String[] side = {"dmalib", "framework"};
            for (int i = 0; i < 2; i++) {
                Double wall = sg.get(side[i] + " " + n);
                md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %s | %s |%n", n, side[i],
                        c[i].commands(), c[i].syncs(), c[i].barriers(),
                        human(CostModel.GEM5.nanos(c[i].commands(), c[i].syncs(), 0, 0)),
                        wall == null ? "–" : String.format(Locale.ROOT, "%.1f µs", wall)));
            }
        }
    }

    /**
     * A goal's row when a side of it has no result (a benchmark failed, or the options left its
     * size out), so that a goal is never silently missing from the table.
     */
    private static void notMeasured(StringBuilder md, String row, String goal) {
        md.append(String.format(Locale.ROOT, "| %s | – | – | – | %s | **not measured** |%n", row, goal));
    }

    /** One teardown cell: the median shot's wall time and the counts of one teardown. */
    record Teardown(double wallMs, long commands, long syncs, double modelledNs) {}

    private static long lastIteration(RunResult r, String counter) {
        return Math.round(lastIterationValue(r, counter));
    }

    private static double lastIterationValue(RunResult r, String counter) {
        List<IterationResult> its = new ArrayList<>();
        for (BenchmarkResult b : r.getBenchmarkResults()) {
            its.addAll(b.getIterationResults());
        }
        @SuppressWarnings("rawtypes")
        Result v = its.get(its.size() - 1).getSecondaryResults().get(counter);
        return v.getScore();
    }

    static String human(double ns) {
        if (ns >= 1e9) {
            return String.format(Locale.ROOT, "%.2f s", ns / 1e9);
        }
        if (ns >= 1e6) {
            return String.format(Locale.ROOT, "%.2f ms", ns / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f µs", ns / 1e3);
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

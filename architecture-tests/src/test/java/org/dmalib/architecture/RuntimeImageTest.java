package org.dmalib.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.dmalib.examples.walls.PrivilegedPackages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walls in the shipped form: a jlink image of the CLI and the example drivers, linked here
 * with the {@code jlink} tool from the reactor's module jars (independent of {@code -Pimage}),
 * plain (no compression or stripping: about two seconds), into {@code target/walls-image}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RuntimeImageTest {
    private static final String PICOCLI = "info.picocli";
    private static final long TIMEOUT_SECONDS = 60;

    private Path image;

    @BeforeAll
    void link() throws IOException, URISyntaxException {
        Path target = Path.of(RuntimeImageTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getParent();
        image = target.resolve("walls-image");
        deleteRecursively(image);

        Map<String, ModuleReference> modules = ReactorModules.all();
        modules.keySet().removeIf(n -> !n.startsWith(ReactorModules.ROOT) && !n.equals(PICOCLI));
        List<String> modulePath = new ArrayList<>();
        Path jmods = Path.of(System.getProperty("java.home"), "jmods");
        if (Files.isDirectory(jmods)) {
            modulePath.add(jmods.toString()); // JDK 17; JDK 24+ without jmods links from its own image
        }
        ReactorModules.locations(modules).forEach(p -> modulePath.add(p.toString()));

        ToolProvider jlink = ToolProvider.findFirst("jlink")
                .orElseThrow(() -> new IllegalStateException("no jlink in this runtime: run the tests on a JDK"));
        StringWriter text = new StringWriter();
        int exit;
        try (PrintWriter out = new PrintWriter(text)) {
            exit = jlink.run(out, out, "--module-path", String.join(File.pathSeparator, modulePath),
                    "--add-modules", "org.dmalib.cli,org.dmalib.examples,org.dmalib.iommu.smmu",
                    "--launcher", "dmalib=org.dmalib.cli/org.dmalib.cli.Main",
                    "--no-header-files", "--no-man-pages",
                    "--output", image.toString());
        }
        assertEquals(0, exit, "jlink failed:\n" + text);
    }

    @Test
    void the_dmalib_launcher_runs_the_demo() throws IOException, InterruptedException {
        Run run = run(image.resolve("bin").resolve("dmalib").toString(), "demo");
        assertEquals(0, run.exit(), run.toString());
        assertFalse(run.stdout().isBlank(), run.toString());
    }

    @Test
    void the_launcher_checks_a_class_path_driver_against_the_images_own_walls(@TempDir Path dir)
            throws IOException, InterruptedException {
        // the image's modules are named: the walls come from its module layer, not a class path
        Path classes = ThirdPartyDriver.compile(dir.resolve("driver"), ThirdPartyDriver.all());
        Run run = run(image.resolve("bin").resolve("dmalib").toString(), "check-driver",
                classes.toString());
        assertEquals(1, run.exit(), run.toString());
        List<String> lines = run.stdout().lines().collect(Collectors.toList());
        assertEquals(CheckDriverTest.FINDINGS.stream().map(f -> classes + "!" + f)
                .collect(Collectors.toList()), lines.subList(0, lines.size() - 1), run.toString());
    }

    @Test
    void the_wall_probe_is_refused_everything_in_the_image() throws IOException, InterruptedException {
        Run run = java("-m", "org.dmalib.examples/org.dmalib.examples.walls.WallProbe");
        assertEquals(0, run.exit(), run.toString());
        List<String> lines = run.stdout().lines().collect(Collectors.toList());
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("NOT refused")), run.toString());
        for (String name : PrivilegedPackages.NAMED_CLASSES) {
            for (String probe : List.of("setAccessible", "privateLookupIn", "invoke")) {
                String prefix = "refused " + probe + " " + name + ": ";
                assertTrue(lines.stream().anyMatch(l -> l.startsWith(prefix)), prefix + "\n" + run);
            }
        }
    }

    @Test
    void the_image_lists_the_cache_maintenance_package_only_as_a_qualified_export()
            throws IOException, InterruptedException {
        Run hw = java("--describe-module", "org.dmalib.hw");
        assertEquals(0, hw.exit(), hw.toString());
        Set<String> lines = hw.stdout().lines().map(String::strip).collect(Collectors.toSet());
        assertTrue(lines.contains("exports org.dmalib.hw"), hw.toString());
        assertTrue(lines.contains("qualified exports org.dmalib.hw.cache to org.dmalib.arch.coherency"), hw.toString());
        assertFalse(lines.contains("exports org.dmalib.hw.cache"), hw.toString());
        assertTrue(lines.contains("contains org.dmalib.hw.internal"), hw.toString());

        Run arch = java("--describe-module", "org.dmalib.arch.coherency");
        assertTrue(arch.stdout().lines().map(String::strip).anyMatch(l -> l.startsWith(
                "qualified exports org.dmalib.arch.coherency.internal.cache to ")
                && Set.of(l.substring(l.indexOf(" to ") + 4).split(" ")).equals(
                        Set.of("org.dmalib.dma.ops", "org.dmalib.iommu.smmu"))), arch.toString());
    }

    @Test
    void the_image_holds_exactly_the_library_picocli_java_base_and_jdk_jfr()
            throws IOException, InterruptedException {
        Run run = java("--list-modules");
        assertEquals(0, run.exit(), run.toString());
        // one "name@version" per line
        Set<String> names = run.stdout().lines().map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.contains("@") ? l.substring(0, l.indexOf('@')) : l)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> expected = new TreeSet<>(ModuleGraphTest.MODULES);
        // jdk.jfr: hw-model, iommu-api and iommu-smmu emit Flight Recorder events (it needs only java.base)
        expected.addAll(List.of(PICOCLI, "java.base", "jdk.jfr"));
        assertEquals(expected, names, "no open annotation module, no java.compiler, nothing unexpected");
    }

    /** A finished process: exit status and both outputs. */
    private record Run(List<String> command, int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return String.join(" ", command) + " -> " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private Run java(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(image.resolve("bin").resolve("java").toString()));
        command.addAll(List.of(args));
        return run(command.toArray(new String[0]));
    }

    private Run run(String... command) throws IOException, InterruptedException {
        Path err = Files.createTempFile(image.getParent(), "walls-image-", ".stderr");
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        Files.delete(err);
        return new Run(List.of(command), p.exitValue(), stdout, stderr);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }
}

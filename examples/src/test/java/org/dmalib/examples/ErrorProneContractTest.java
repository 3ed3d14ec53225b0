package org.dmalib.examples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.module.ResolvedModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DMA API's compile-time contract, proven under the project's Error Prone setup: a driver
 * that ignores a map result ({@code @CheckReturnValue}) or does not close a scoped mapping
 * ({@code @MustBeClosed}) does not compile; the same driver written correctly does.
 *
 * <p>Each fixture is a third-party driver module ({@code requires org.dmalib.dma.ops}) compiled
 * by a separate {@code javac} of the running JDK with the build's flags and the Error Prone
 * version of the build (whatever the test class path carries, so the JDK 21+ profile's newer
 * checker is used on newer JDKs). The dmalib modules come from the boot layer, so the fixtures
 * compile against exactly what the tests run against.
 */
class ErrorProneContractTest {
    // the ten jdk.compiler packages Error Prone reaches into: .mvn/jvm.config's lines
    private static final List<String> JVM_FLAGS = List.of(
            "--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.main=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.model=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.processing=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
            "--add-opens=jdk.compiler/com.sun.tools.javac.code=ALL-UNNAMED",
            "--add-opens=jdk.compiler/com.sun.tools.javac.comp=ALL-UNNAMED");

    private static final List<String> DMALIB_MODULES = List.of(
            "org.dmalib.dma.ops", "org.dmalib.hw", "org.dmalib.iommu.api", "org.dmalib.arch.coherency");

    private static final String MODULE_INFO = """
            module fixture.driver {
                requires org.dmalib.dma.ops;
            }
            """;

    private static final String IMPORTS = """
            package fixture;

            import org.dmalib.dma.ops.CpuBuffer;
            import org.dmalib.dma.ops.DmaDevice;
            import org.dmalib.dma.ops.DmaMapping;
            import org.dmalib.dma.ops.ScopedDmaMapping;
            import org.dmalib.hw.Cpu;
            import org.dmalib.iommu.api.DmaDirection;

            """;

    private static final String CORRECT = IMPORTS + """
            /** Maps correctly: a scoped mapping closed by try-with-resources, a kept handle. */
            public final class Driver {
                private Driver() {}

                /** Starts a short transfer. */
                public static long transfer(DmaDevice dev, Cpu cpu, CpuBuffer buf) {
                    try (ScopedDmaMapping m = dev.mapSingleScoped(cpu, buf, DmaDirection.TO_DEVICE)) {
                        return m.dmaAddress();
                    }
                }

                /** Maps a ring buffer for the device's lifetime. */
                public static DmaMapping ring(DmaDevice dev, Cpu cpu, CpuBuffer buf) {
                    return dev.mapSingle(cpu, buf, DmaDirection.FROM_DEVICE);
                }
            }
            """;

    private static final String IGNORES_MAP_RESULT = IMPORTS + """
            /** Ignores the mapping: nobody can unmap it, and a failed map goes unnoticed. */
            public final class Driver {
                private Driver() {}

                /** Starts a transfer and forgets the mapping. */
                public static void start(DmaDevice dev, Cpu cpu, CpuBuffer buf) {
                    dev.mapSingle(cpu, buf, DmaDirection.TO_DEVICE);
                }

                /** Unused, keeps the import of the other handle types used. */
                static ScopedDmaMapping none(DmaMapping m) {
                    return null;
                }
            }
            """;

    private static final String DOES_NOT_CLOSE = IMPORTS + """
            /** Takes a scoped mapping and never closes it: a leak on every call. */
            public final class Driver {
                private Driver() {}

                /** Starts a transfer and leaks the mapping. */
                public static long start(DmaDevice dev, Cpu cpu, CpuBuffer buf) {
                    ScopedDmaMapping m = dev.mapSingleScoped(cpu, buf, DmaDirection.TO_DEVICE);
                    return m.dmaAddress();
                }

                /** Unused, keeps the import of the other handle type used. */
                static DmaMapping none() {
                    return null;
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void correctDriverCompiles() throws Exception {
        Compilation c = compile("correct", CORRECT);
        assertEquals(0, c.exitCode(), c.output());
    }

    @Test
    void ignoringAMapResultDoesNotCompile() throws Exception {
        Compilation c = compile("ignores", IGNORES_MAP_RESULT);
        assertNotEquals(0, c.exitCode(), c.output());
        assertTrue(c.output().contains("[CheckReturnValue]"), c.output());
        assertTrue(c.output().contains("mapSingle"), c.output());
    }

    @Test
    void notClosingAScopedMappingDoesNotCompile() throws Exception {
        Compilation c = compile("unclosed", DOES_NOT_CLOSE);
        assertNotEquals(0, c.exitCode(), c.output());
        assertTrue(c.output().contains("[MustBeClosedChecker]"), c.output());
    }

    private record Compilation(int exitCode, String output) {}

    private Compilation compile(String name, String driverSource) throws IOException, InterruptedException {
        Path src = dir.resolve(name).resolve("src");
        Path pkg = Files.createDirectories(src.resolve("fixture"));
        Path moduleInfo = Files.writeString(src.resolve("module-info.java"), MODULE_INFO, UTF_8);
        Path driver = Files.writeString(pkg.resolve("Driver.java"), driverSource, UTF_8);
        Path out = Files.createDirectories(dir.resolve(name).resolve("out"));

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "javac").toString());
        for (String flag : JVM_FLAGS) {
            cmd.add("-J" + flag);
        }
        cmd.addAll(List.of(
                "--release", "17",
                "-Xlint:all", "-Werror",
                "-XDcompilePolicy=simple", "--should-stop=ifError=FLOW",
                "-Xplugin:ErrorProne",
                "-processorpath", processorPath(),
                "--module-path", modulePath(),
                "-d", out.toString(),
                moduleInfo.toString(), driver.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "javac did not finish");
        return new Compilation(p.exitValue(), new String(output, UTF_8));
    }

    /** Every jar of the test JVM's paths: Error Prone (a test dependency) and its dependencies. */
    private static String processorPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (String prop : List.of("java.class.path", "jdk.module.path")) {
            String value = System.getProperty(prop, "");
            Pattern.compile(Pattern.quote(File.pathSeparator)).splitAsStream(value)
                    .filter(e -> e.endsWith(".jar"))
                    .forEach(entries::add);
        }
        assertTrue(entries.stream().anyMatch(e -> e.contains("error_prone_core")),
                () -> "error_prone_core is not on the test paths: " + entries);
        return String.join(File.pathSeparator, entries);
    }

    /** The dmalib modules as the tests run them, plus the Error Prone annotations module. */
    private static String modulePath() {
        List<String> entries = new ArrayList<>();
        for (String module : DMALIB_MODULES) {
            entries.add(location(module));
        }
        entries.add(location("com.google.errorprone.annotations"));
        return String.join(File.pathSeparator, entries);
    }

    private static String location(String module) {
        ResolvedModule m = ModuleLayer.boot().configuration().findModule(module)
                .orElseThrow(() -> new IllegalStateException(
                        module + " is not in the boot layer: are the tests running on the class path?"));
        return Path.of(m.reference().location().orElseThrow()).toString();
    }
}

package org.dmalib.examples.walls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.NavigableMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compile-time wall: a third-party driver module that requires what this repository's
 * driver requires cannot even import a class of a privileged package. One case per privileged
 * package, discovered from the module descriptors ({@link PrivilegedPackages}), so packages
 * added later (every {@code org.dmalib.dma.ops.internal.*}) are covered without a change here.
 */
class NegativeCompileTest {
    private static final Module DRIVER = WallProbe.class.getModule();

    static Stream<String> privilegedPackages() {
        return PrivilegedPackages.of(DRIVER).keySet().stream()
                .filter(p -> aClassOf(p).isPresent());
    }

    @Test
    void discovery_finds_the_known_privileged_packages_and_every_dma_ops_internal_one() {
        NavigableMap<String, Module> privileged = PrivilegedPackages.of(DRIVER);
        assertTrue(privileged.keySet().containsAll(Set.of(
                "org.dmalib.hw.cache", "org.dmalib.hw.internal", "org.dmalib.arch.coherency.internal.cache")),
                privileged::toString);
        Module dmaOps = DRIVER.getLayer().findModule("org.dmalib.dma.ops").orElseThrow();
        dmaOps.getPackages().stream().filter(p -> p.startsWith("org.dmalib.dma.ops.internal"))
                .forEach(p -> assertTrue(privileged.containsKey(p), p));
        // and nothing that is exported to everyone
        privileged.forEach((p, m) -> assertTrue(!m.isExported(p), m.getName() + " exports " + p + " to everyone"));
    }

    @Test
    void a_driver_using_only_public_api_compiles(@TempDir Path dir) throws IOException {
        List<String> imports = new ArrayList<>();
        for (String name : FixtureCompiler.driverRequires()) {
            Module m = DRIVER.getLayer().findModule(name).orElseThrow();
            for (String pkg : new TreeSet<>(PrivilegedPackages.unqualifiedExports(m.getDescriptor()))) {
                PrivilegedPackages.aClassOf(m, pkg).ifPresent(imports::add);
            }
        }
        assertTrue(imports.size() >= 2, imports::toString);
        FixtureCompiler.Result r = FixtureCompiler.compile(dir, FixtureCompiler.driverRequires(), imports);
        assertEquals(0, r.exitCode(), r.output());
    }

    @ParameterizedTest(name = "{0} is not visible to a driver")
    @MethodSource("privilegedPackages")
    void a_driver_importing_a_privileged_package_does_not_compile(String pkg, @TempDir Path dir) throws IOException {
        FixtureCompiler.Result r = FixtureCompiler.compile(dir, FixtureCompiler.driverRequires(),
                List.of(aClassOf(pkg).orElseThrow()));
        assertNotEquals(0, r.exitCode(), r.output());
        assertEquals(1, r.notVisible(pkg), r.output());
    }

    @Test
    void a_greedy_driver_that_requires_the_privileged_modules_still_does_not_compile(@TempDir Path dir)
            throws IOException {
        Set<String> requires = new TreeSet<>(FixtureCompiler.driverRequires());
        requires.addAll(List.of("org.dmalib.arch.coherency", "org.dmalib.hw"));
        List<String> imports = new ArrayList<>();
        privilegedPackages().forEach(p -> imports.add(aClassOf(p).orElseThrow()));
        FixtureCompiler.Result r = FixtureCompiler.compile(dir, requires, imports);
        assertNotEquals(0, r.exitCode(), r.output());
        for (String pkg : privilegedPackages().toList()) {
            assertEquals(1, r.notVisible(pkg), pkg + "\n" + r.output());
        }
        // reading the module is not enough: the diagnostics name the missing export
        assertTrue(r.output().contains("compiler.misc.not.def.access.not.exported.to.module: org.dmalib.hw.cache"),
                r.output());
    }

    private static java.util.Optional<String> aClassOf(String pkg) {
        Map<String, Module> privileged = PrivilegedPackages.of(DRIVER);
        return PrivilegedPackages.aClassOf(privileged.get(pkg), pkg);
    }
}

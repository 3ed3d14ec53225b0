package org.dmalib.examples.walls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.dmalib.examples.walls.WallProbe.Outcome;
import org.junit.jupiter.api.Test;

/**
 * The runtime wall: from the driver module (these tests are patched into
 * {@code org.dmalib.examples} and run on the module path), reflection reaches no privileged
 * class. Void on the class path, where every probe would succeed; the first test checks that.
 */
class WallProbeTest {
    private static final Module DRIVER = WallProbe.class.getModule();

    @Test
    void runs_in_the_named_driver_module_on_the_module_path() {
        assertTrue(DRIVER.isNamed(), "tests must run patched into the module, not on the class path");
        assertEquals("org.dmalib.examples", DRIVER.getName());
    }

    @Test
    void every_probe_of_every_privileged_class_is_refused() {
        List<Outcome> outcomes = WallProbe.probeAll(DRIVER);
        String report = outcomes.stream().map(Outcome::line).collect(Collectors.joining("\n"));
        assertTrue(outcomes.stream().allMatch(Outcome::refused), report);
        Map<String, String> expected = Map.of(
                "setAccessible", InaccessibleObjectException.class.getName(),
                "privateLookupIn", IllegalAccessException.class.getName(),
                "invoke", IllegalAccessException.class.getName(),
                "accessClass", IllegalAccessException.class.getName());
        for (Outcome o : outcomes) {
            assertEquals(expected.get(o.probe()), o.thrown(), o.line());
        }
    }

    @Test
    void every_named_class_and_one_class_of_every_privileged_package_is_probed() {
        Set<String> probed = WallProbe.probeAll(DRIVER).stream()
                .map(Outcome::className).collect(Collectors.toSet());
        assertTrue(probed.containsAll(PrivilegedPackages.NAMED_CLASSES), probed::toString);
        Set<String> probedPackages = probed.stream()
                .map(n -> n.substring(0, n.lastIndexOf('.'))).collect(Collectors.toSet());
        Set<String> nonEmpty = PrivilegedPackages.of(DRIVER).entrySet().stream()
                .filter(e -> !PrivilegedPackages.classesOf(e.getValue(), e.getKey()).isEmpty())
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        assertEquals(nonEmpty, probedPackages);
    }

    @Test
    void a_class_discovered_in_any_privileged_package_is_refused_like_the_named_ones() {
        // the path new packages (org.dmalib.dma.ops.internal.*) take: found from the module
        // content, not named anywhere
        PrivilegedPackages.of(DRIVER).forEach((pkg, module) -> {
            List<String> classes = PrivilegedPackages.classesOf(module, pkg);
            assertTrue(classes.stream().allMatch(c -> c.startsWith(pkg + ".") && c.indexOf('$') < 0),
                    classes::toString);
            PrivilegedPackages.aClassOf(module, pkg).ifPresent(name -> {
                List<Outcome> outcomes = WallProbe.probe(load(module, name));
                assertTrue(outcomes.stream().allMatch(Outcome::refused), outcomes::toString);
            });
        });
        Module hw = module("org.dmalib.hw");
        assertEquals("org.dmalib.hw.internal.CoherenceFabric",
                PrivilegedPackages.aClassOf(hw, "org.dmalib.hw.internal").orElseThrow(),
                "the first public class by name");
    }

    @Test
    void every_probed_class_has_a_public_member_so_that_an_export_would_show() {
        // setAccessible and invoke refuse a non-public member even in an exported package, and
        // privateLookupIn needs an open one: a class without a public member is refused all
        // three probes whether or not its package is privileged (org.dmalib.hw.smmu's CdLayout,
        // constants and a private constructor, is first by name)
        for (String name : WallProbe.targets(DRIVER)) {
            String pkg = name.substring(0, name.lastIndexOf('.'));
            Module owner = DRIVER.getLayer().modules().stream()
                    .filter(m -> m.getPackages().contains(pkg)).findFirst().orElseThrow();
            Class<?> c = load(owner, name);
            boolean publicMember = Stream.concat(Arrays.stream(c.getDeclaredConstructors()),
                    Arrays.stream(c.getDeclaredMethods())).anyMatch(m -> Modifier.isPublic(m.getModifiers()));
            assertTrue(Modifier.isPublic(c.getModifiers()) && publicMember, name);
        }
        assertTrue(WallProbe.targets(DRIVER).stream().anyMatch(n -> n.startsWith("org.dmalib.hw.smmu.")),
                "org.dmalib.hw.smmu is probed");
    }

    @Test
    void every_class_gets_all_three_probes() {
        Map<String, Long> perClass = WallProbe.probeAll(DRIVER).stream()
                .collect(Collectors.groupingBy(Outcome::className, Collectors.counting()));
        perClass.forEach((name, n) -> assertEquals(3L, n, name));
        assertEquals(WallProbe.targets(DRIVER).size(), perClass.size());
    }

    @Test
    void a_class_without_members_gets_the_class_level_probes() {
        // a marker interface of this module: within the module nothing is refused, but the
        // fallback probes run
        List<Outcome> outcomes = WallProbe.probe(Marker.class);
        assertEquals(List.of("privateLookupIn", "accessClass"),
                outcomes.stream().map(Outcome::probe).collect(Collectors.toList()));
    }

    @Test
    void the_probe_reports_access_that_is_granted() throws ClassNotFoundException {
        // control: org.dmalib.hw is exported (so a public member is usable) but not opened
        Map<String, Outcome> byProbe = WallProbe.probe(Class.forName("org.dmalib.hw.Machine")).stream()
                .collect(Collectors.toMap(Outcome::probe, Function.identity()));
        assertFalse(byProbe.get("setAccessible").refused(), byProbe.get("setAccessible").line());
        assertFalse(byProbe.get("invoke").refused(), byProbe.get("invoke").line());
        assertTrue(byProbe.get("privateLookupIn").refused(), byProbe.get("privateLookupIn").line());
        // and within its own module nothing is refused
        assertTrue(WallProbe.probe(PrivilegedPackages.class).stream().noneMatch(Outcome::refused));
    }

    @Test
    void the_qualified_exports_reach_their_targets_and_not_the_driver() {
        Module hw = module("org.dmalib.hw");
        Module coherency = module("org.dmalib.arch.coherency");
        assertTrue(hw.isExported("org.dmalib.hw.cache", coherency));
        assertFalse(hw.isExported("org.dmalib.hw.cache", DRIVER));
        assertTrue(coherency.isExported("org.dmalib.arch.coherency.internal.cache", module("org.dmalib.dma.ops")));
        assertFalse(coherency.isExported("org.dmalib.arch.coherency.internal.cache", DRIVER));
    }

    @Test
    void main_reports_one_refusal_per_line_and_succeeds() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = WallProbe.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);
        List<String> lines = out.lines().collect(Collectors.toList());
        assertEquals(WallProbe.probeAll(DRIVER).size(), lines.size(), out);
        assertTrue(lines.stream().allMatch(l -> l.startsWith("refused ")), out);
        assertTrue(lines.stream()
                .anyMatch(l -> l.startsWith("refused setAccessible org.dmalib.hw.cache.CacheMaintenance: ")), out);
    }

    /** Declares nothing. */
    interface Marker {}

    private static Class<?> load(Module module, String name) {
        Class<?> c = Class.forName(module, name);
        if (c == null) {
            throw new AssertionError(name + " not found in " + module);
        }
        return c;
    }

    private static Module module(String name) {
        return DRIVER.getLayer().findModule(name).orElseThrow(() -> new AssertionError(name + " not in the layer"));
    }
}

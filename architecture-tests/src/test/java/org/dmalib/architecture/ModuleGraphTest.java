package org.dmalib.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Exports;
import java.lang.module.ModuleReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module graph as built, read from the compiled descriptors: modelled on the JDK's
 * {@code test/jdk/jdk/modules/etc/JdkQualifiedExportTest.java}. The module-infos are the walls;
 * this test makes any change to them a visible, reviewed change here.
 *
 * <p>It also restores the check the build switches off: javac's "module not found" for a
 * qualified-export target is silenced ({@code -Xlint:-module}) in modules that export to modules
 * Maven builds later (MCOMPILER-423), so nothing else notices a misspelt target.
 */
class ModuleGraphTest {
    /** Every module of the reactor. A new module goes here and into this module's pom. */
    static final Set<String> MODULES = Set.of(
            "org.dmalib.hw", "org.dmalib.iommu.api", "org.dmalib.arch.coherency",
            "org.dmalib.iommu.smmu", "org.dmalib.dma.ops", "org.dmalib.examples", "org.dmalib.cli");

    /**
     * Qualified-export targets that need not exist in the reactor, as "module/package=target".
     * Empty: DESIGN.md's exports to org.dmalib.iommu.smmu are added with that module, not before.
     */
    static final Set<String> KNOWN_EXCEPTIONS = Set.of();

    /** module, then package, then the modules it is exported to: the walls, exactly. */
    static final Map<String, Map<String, Set<String>>> QUALIFIED_EXPORTS = Map.of(
            "org.dmalib.hw", Map.of(
                    "org.dmalib.hw.cache", Set.of("org.dmalib.arch.coherency"),
                    "org.dmalib.hw.smmu", Set.of("org.dmalib.iommu.smmu")),
            "org.dmalib.iommu.api", Map.of(
                    "org.dmalib.iommu.api.spi", Set.of("org.dmalib.dma.ops", "org.dmalib.iommu.smmu"),
                    "org.dmalib.iommu.api.internal.tlb", Set.of("org.dmalib.dma.ops", "org.dmalib.iommu.smmu")),
            "org.dmalib.arch.coherency", Map.of(
                    "org.dmalib.arch.coherency.internal.cache",
                    Set.of("org.dmalib.dma.ops", "org.dmalib.iommu.smmu")),
            "org.dmalib.iommu.smmu", Map.of(),
            "org.dmalib.dma.ops", Map.of(),
            "org.dmalib.examples", Map.of(),
            "org.dmalib.cli", Map.of());

    /** module, then the packages it exports to everyone. */
    static final Map<String, Set<String>> UNQUALIFIED_EXPORTS = Map.of(
            "org.dmalib.hw", Set.of("org.dmalib.hw"),
            "org.dmalib.iommu.api", Set.of("org.dmalib.iommu.api"),
            "org.dmalib.arch.coherency", Set.of("org.dmalib.arch.coherency"),
            "org.dmalib.iommu.smmu", Set.of("org.dmalib.iommu.smmu"),
            "org.dmalib.dma.ops", Set.of("org.dmalib.dma.ops"),
            "org.dmalib.examples", Set.of("org.dmalib.examples"),
            "org.dmalib.cli", Set.of("org.dmalib.cli"));

    private final Map<String, ModuleDescriptor> modules = descriptors();

    @Test
    void the_reactor_modules_are_all_found_as_modules() {
        assertEquals(new TreeSet<>(MODULES), new TreeSet<>(modules.keySet()),
                "dmalib modules on the class path of architecture-tests (jars or target/classes)");
        modules.values().forEach(d -> assertFalse(d.isAutomatic(), d.name() + " has no module-info"));
    }

    @Test
    void the_qualified_exports_are_exactly_the_designed_ones() {
        Map<String, Map<String, Set<String>>> actual = new TreeMap<>();
        modules.forEach((name, d) -> actual.put(name, d.exports().stream().filter(Exports::isQualified)
                .collect(Collectors.toMap(Exports::source, Exports::targets, (a, b) -> a, TreeMap::new))));
        assertEquals(new TreeMap<>(QUALIFIED_EXPORTS), actual);
    }

    @Test
    void the_unqualified_exports_are_exactly_the_designed_ones() {
        Map<String, Set<String>> actual = new TreeMap<>();
        modules.forEach((name, d) -> actual.put(name, d.exports().stream().filter(e -> !e.isQualified())
                .map(Exports::source).collect(Collectors.toCollection(TreeSet::new))));
        assertEquals(new TreeMap<>(UNQUALIFIED_EXPORTS), actual);
    }

    @Test
    void every_qualified_export_target_is_a_reactor_module() {
        List<String> unknown = new ArrayList<>();
        for (ModuleDescriptor d : modules.values()) {
            for (Exports e : d.exports()) {
                for (String target : e.targets()) {
                    String export = d.name() + "/" + e.source() + "=" + target;
                    if (!modules.containsKey(target) && !KNOWN_EXCEPTIONS.contains(export)) {
                        unknown.add(export);
                    }
                }
            }
        }
        assertEquals(List.of(), unknown, "qualified exports to modules that do not exist (misspelt?)");
    }

    @Test
    void nothing_is_opened_and_no_module_is_open() {
        for (ModuleDescriptor d : modules.values()) {
            assertFalse(d.isOpen(), d.name() + " is an open module");
            assertEquals(Set.of(), d.opens(), d.name() + " opens packages");
        }
    }

    @Test
    void no_internal_package_is_exported_to_everyone() {
        for (ModuleDescriptor d : modules.values()) {
            for (Exports e : d.exports()) {
                boolean internal = Arrays.asList(e.source().split("\\.")).contains("internal");
                assertFalse(internal && !e.isQualified(), d.name() + " exports " + e.source() + " to everyone");
            }
        }
    }

    @Test
    void every_module_is_named_after_its_principal_package() {
        modules.values().forEach(d -> assertTrue(d.packages().contains(d.name()),
                d.name() + " has no package " + d.name() + ": " + d.packages()));
    }

    @Test
    void the_graph_assertions_are_not_vacuous() {
        // the privileged packages are real packages of their modules, not just names in exports
        assertTrue(modules.get("org.dmalib.hw").packages().containsAll(Set.of("org.dmalib.hw.cache",
                "org.dmalib.hw.internal")));
        assertTrue(modules.get("org.dmalib.arch.coherency").packages()
                .contains("org.dmalib.arch.coherency.internal.cache"));
    }

    private static Map<String, ModuleDescriptor> descriptors() {
        Map<String, ModuleDescriptor> descriptors = new TreeMap<>();
        for (ModuleReference r : ReactorModules.dmalib().values()) {
            descriptors.put(r.descriptor().name(), r.descriptor());
        }
        return descriptors;
    }
}

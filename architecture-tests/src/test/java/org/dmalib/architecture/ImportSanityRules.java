package org.dmalib.architecture;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.junit.ArchTest;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The rules above cannot pass by importing nothing: every module's principal package is present,
 * the import is not trivially small, and the rogue fixtures are not in it.
 */
final class ImportSanityRules {
    /** Each module's principal package (module name = principal package), plus the privileged ones. */
    static final List<String> EXPECTED_PACKAGES = List.of(
            "org.dmalib.hw", "org.dmalib.hw.cache", "org.dmalib.hw.internal", "org.dmalib.hw.smmu",
            "org.dmalib.hw.internal.smmu", "org.dmalib.hw.internal.jfr",
            "org.dmalib.iommu.api", "org.dmalib.iommu.api.spi", "org.dmalib.iommu.api.internal.tlb",
            "org.dmalib.iommu.api.internal.jfr",
            "org.dmalib.arch.coherency", "org.dmalib.arch.coherency.internal.cache",
            "org.dmalib.iommu.smmu", "org.dmalib.iommu.smmu.internal.jfr",
            "org.dmalib.dma.ops", "org.dmalib.dma.ops.internal.direct",
            "org.dmalib.dma.ops.internal.bounce", "org.dmalib.dma.ops.internal.iova",
            "org.dmalib.examples",
            "org.dmalib.cli");

    /**
     * The floor: the house had about 80 classes (nested ones included) when this was raised; a
     * broken import (say, of a renamed root package) finds a handful at most.
     */
    static final int MIN_CLASSES = 60;

    private ImportSanityRules() {}

    @ArchTest
    static void every_module_is_imported_and_the_import_is_not_trivially_small(JavaClasses classes) {
        Set<String> packages = classes.stream().map(JavaClass::getPackageName)
                .collect(Collectors.toCollection(TreeSet::new));
        List<String> missing = EXPECTED_PACKAGES.stream().filter(p -> !packages.contains(p))
                .collect(Collectors.toList());
        if (!missing.isEmpty()) {
            throw new AssertionError("packages not imported: " + missing + "; imported: " + packages);
        }
        if (classes.size() < MIN_CLASSES) {
            throw new AssertionError("only " + classes.size() + " classes imported, expected at least "
                    + MIN_CLASSES + ": " + packages);
        }
    }

    @ArchTest
    static void no_rogue_fixture_or_test_class_is_imported(JavaClasses classes) {
        List<String> strays = classes.stream()
                .filter(c -> c.getName().contains(".rogue.") || c.getSimpleName().startsWith("Rogue")
                        || c.getPackageName().startsWith("org.dmalib.architecture"))
                .map(JavaClass::getName).sorted().collect(Collectors.toList());
        if (!strays.isEmpty()) {
            throw new AssertionError("test classes in the rules' import: " + strays);
        }
    }
}

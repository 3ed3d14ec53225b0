package org.dmalib.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.dmalib.architecture.Dmalib.ARCH_COHERENCY;
import static org.dmalib.architecture.Dmalib.ARCH_COHERENCY_INTERNAL;
import static org.dmalib.architecture.Dmalib.CLI;
import static org.dmalib.architecture.Dmalib.DESIGN;
import static org.dmalib.architecture.Dmalib.DMA_OPS;
import static org.dmalib.architecture.Dmalib.DMA_OPS_API;
import static org.dmalib.architecture.Dmalib.EXAMPLES;
import static org.dmalib.architecture.Dmalib.HW;
import static org.dmalib.architecture.Dmalib.HW_CACHE;
import static org.dmalib.architecture.Dmalib.IOMMU_API;
import static org.dmalib.architecture.Dmalib.IOMMU_SMMU;

import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layering of the modules, and the one rule inside a module that JPMS cannot state: the
 * exported DMA API package delegates to dma-ops' internal packages and never touches a
 * primitive itself.
 */
final class DmaOpsLayeringRules {
    private DmaOpsLayeringRules() {}

    @ArchTest
    static final ArchRule the_dma_api_package_delegates_cache_maintenance_to_its_internal_packages = noClasses()
            .that().resideInAPackage(DMA_OPS_API)
            .should().dependOnClassesThat().resideInAnyPackage(ARCH_COHERENCY_INTERNAL, HW_CACHE)
            .because("inside dma-ops only the internal packages touch primitives; the public API package "
                    + "delegates, so no primitive type can leak into a driver-facing signature (" + DESIGN
                    + ", 'Who uses it')");

    // Layers from the bottom: hw and iommu.api, then arch.coherency, then dma.ops, the drivers and
    // the command. The SMMU driver sits between the arch code and the DMA API; its allowances
    // follow DESIGN.md's visibility table.
    @ArchTest
    static final ArchRule modules_depend_only_downwards = layeredArchitecture().consideringAllDependencies()
            .layer("hw").definedBy(HW)
            .layer("iommu.api").definedBy(IOMMU_API)
            .layer("arch.coherency").definedBy(ARCH_COHERENCY)
            .layer("iommu.smmu").definedBy(IOMMU_SMMU)
            .layer("dma.ops").definedBy(DMA_OPS)
            .layer("examples").definedBy(EXAMPLES)
            .layer("cli").definedBy(CLI)
            .whereLayer("cli").mayNotBeAccessedByAnyLayer()
            .whereLayer("examples").mayOnlyBeAccessedByLayers("cli")
            .whereLayer("dma.ops").mayOnlyBeAccessedByLayers("examples", "cli")
            .whereLayer("iommu.smmu").mayOnlyBeAccessedByLayers("dma.ops", "examples", "cli")
            .whereLayer("arch.coherency").mayOnlyBeAccessedByLayers("iommu.smmu", "dma.ops")
            .whereLayer("iommu.api").mayOnlyBeAccessedByLayers("arch.coherency", "iommu.smmu", "dma.ops",
                    "examples", "cli")
            .whereLayer("hw").mayOnlyBeAccessedByLayers("arch.coherency", "iommu.smmu", "dma.ops", "examples",
                    "cli")
            .because("a driver reaches the machine through the DMA API, the DMA API reaches the caches "
                    + "through the arch code, never the reverse (" + DESIGN + ", 'Modules')");
}

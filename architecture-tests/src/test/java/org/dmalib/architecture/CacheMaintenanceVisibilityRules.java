package org.dmalib.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.dmalib.architecture.Dmalib.ARCH_COHERENCY;
import static org.dmalib.architecture.Dmalib.ARCH_COHERENCY_INTERNAL;
import static org.dmalib.architecture.Dmalib.DESIGN;
import static org.dmalib.architecture.Dmalib.DMA_OPS;
import static org.dmalib.architecture.Dmalib.DMA_OPS_INTERNAL;
import static org.dmalib.architecture.Dmalib.HW;
import static org.dmalib.architecture.Dmalib.HW_CACHE;
import static org.dmalib.architecture.Dmalib.HW_INTERNAL;
import static org.dmalib.architecture.Dmalib.IOMMU_SMMU;

import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Who may depend on each privileged package: the qualified exports of the module-infos, restated
 * for what the module system cannot see (class-path builds, shaded jars, benchmarks, IDE runs).
 * {@code onlyHaveDependentClassesThat} catches every kind of dependency (signatures, fields,
 * annotations), not only calls.
 */
final class CacheMaintenanceVisibilityRules {
    private CacheMaintenanceVisibilityRules() {}

    @ArchTest
    static final ArchRule only_the_arch_code_issues_cache_maintenance_instructions = classes()
            .that().resideInAPackage(HW_CACHE)
            .should().onlyHaveDependentClassesThat().resideInAnyPackage(HW, ARCH_COHERENCY)
            .because("DC CVAC/IVAC/CIVAC and DSB are the simulated CPU's instructions: only arm64's "
                    + "dcache_*_poc and arch_sync_dma_* issue them (module-info: exports org.dmalib.hw.cache "
                    + "to org.dmalib.arch.coherency; " + DESIGN + ")");

    @ArchTest
    static final ArchRule coherency_primitives_are_used_only_by_the_dma_api_and_the_smmu_driver = classes()
            .that().resideInAPackage(ARCH_COHERENCY_INTERNAL)
            .should().onlyHaveDependentClassesThat().resideInAnyPackage(ARCH_COHERENCY, DMA_OPS, IOMMU_SMMU)
            .because("cache maintenance done in the wrong order, on the wrong range or without its barrier "
                    + "corrupts data silently; only the DMA API knows buffer ownership, and the SMMU driver "
                    + "(still to come) may maintain non-coherent page-table walks (" + DESIGN + ")");

    @ArchTest
    static final ArchRule the_hardware_model_internals_are_used_only_by_the_hardware_model = classes()
            .that().resideInAPackage(HW_INTERNAL)
            .should().onlyHaveDependentClassesThat().resideInAPackage(HW)
            .because("the caches, the coherence fabric and the stream ports are the machine itself; the "
                    + "module exports only org.dmalib.hw (" + DESIGN + ")");

    @ArchTest
    static final ArchRule the_dma_api_internals_are_used_only_by_the_dma_api = classes()
            .that().resideInAPackage(DMA_OPS_INTERNAL)
            .should().onlyHaveDependentClassesThat().resideInAPackage(DMA_OPS)
            .because("direct, IOMMU and bounce implementations behind the DMA API are not API: drivers "
                    + "get org.dmalib.dma.ops only (" + DESIGN + ")");
}

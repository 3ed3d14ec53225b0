package org.dmalib.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.dmalib.architecture.Dmalib.DESIGN;
import static org.dmalib.architecture.Dmalib.DMA_OPS;
import static org.dmalib.architecture.Dmalib.HW;
import static org.dmalib.architecture.Dmalib.HW_SMMU;
import static org.dmalib.architecture.Dmalib.IOMMU_SMMU;
import static org.dmalib.architecture.Dmalib.IOMMU_SPI;
import static org.dmalib.architecture.Dmalib.IOMMU_TLB;

import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Who may depend on the IOMMU side's privileged packages: the SMMU's programming interface, the
 * driver SPI and the TLB-maintenance primitives. The module-infos export them only to the DMA API
 * and the SMMU driver; these rules restate that for class-path builds.
 */
final class TlbMaintenanceVisibilityRules {
    /** The IOMMU core itself: both packages live in it and call each other. */
    private static final String IOMMU_CORE = "org.dmalib.iommu.api..";

    private TlbMaintenanceVisibilityRules() {}

    @ArchTest
    static final ArchRule only_the_smmu_driver_programs_the_smmu = classes()
            .that().resideInAPackage(HW_SMMU)
            .should().onlyHaveDependentClassesThat().resideInAnyPackage(HW, IOMMU_SMMU)
            .because("a command queue, stream table or IOTLB driven from two places loses "
                    + "invalidations; the SMMUv3 driver is the only software that programs the SMMU ("
                    + DESIGN + ")");

    @ArchTest
    static final ArchRule tlb_primitives_are_used_only_by_the_dma_api_and_the_smmu_driver = classes()
            .that().resideInAPackage(IOMMU_TLB)
            .should().onlyHaveDependentClassesThat().resideInAnyPackage(IOMMU_CORE, DMA_OPS, IOMMU_SMMU)
            .because("a driver that gathers, plans or issues TLB invalidations itself can leave a device "
                    + "reaching memory after unmap; only the DMA API and the IOMMU driver own that ("
                    + DESIGN + ")");

    @ArchTest
    static final ArchRule the_iommu_driver_spi_is_used_only_by_the_dma_api_and_the_smmu_driver = classes()
            .that().resideInAPackage(IOMMU_SPI)
            .should().onlyHaveDependentClassesThat().resideInAnyPackage(IOMMU_CORE, DMA_OPS, IOMMU_SMMU)
            .because("the SPI (domain ops, flush ops, unmapFast without sync) is what an IOMMU driver "
                    + "implements and the DMA API composes; device drivers map through org.dmalib.dma.ops ("
                    + DESIGN + ")");
}

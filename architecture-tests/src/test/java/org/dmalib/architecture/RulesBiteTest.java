package org.dmalib.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The rules bite: imported together with the rogue fixtures, each headline rule fails and names
 * the rogue class; imported without them, the same rules pass (the control).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RulesBiteTest {
    private static final String DRIVER = "org.dmalib.rogue.RogueDriver";
    private static final String SHORTCUT = "org.dmalib.dma.ops.RogueApiShortcut";

    private JavaClasses withRogues;
    private JavaClasses library;

    @BeforeAll
    void importBoth() {
        withRogues = new ClassFileImporter().withImportOption(new Fixtures.LibraryAndRogues())
                .importPackages("org.dmalib");
        library = new ClassFileImporter().withImportOption(new ImportOption.DoNotIncludeTests())
                .withImportOption(new Fixtures.ExcludeRogues()).importPackages("org.dmalib");
    }

    @Test
    void the_fixtures_are_imported_only_when_asked_for() {
        assertTrue(withRogues.contain(DRIVER) && withRogues.contain(SHORTCUT));
        assertTrue(!library.contain(DRIVER) && !library.contain(SHORTCUT));
        assertEquals(library.size() + 3, withRogues.size(), "exactly the three fixtures are added");
    }

    @Test
    void a_driver_issuing_cache_maintenance_instructions_breaks_the_hw_cache_rule() {
        assertFailsNaming(CacheMaintenanceVisibilityRules.only_the_arch_code_issues_cache_maintenance_instructions,
                DRIVER);
    }

    @Test
    void a_driver_using_the_coherency_primitives_breaks_their_rule() {
        assertFailsNaming(CacheMaintenanceVisibilityRules
                .coherency_primitives_are_used_only_by_the_dma_api_and_the_smmu_driver, DRIVER);
    }

    @Test
    void a_driver_seeing_the_coherence_fabric_breaks_the_hw_internal_rule() {
        assertFailsNaming(CacheMaintenanceVisibilityRules
                .the_hardware_model_internals_are_used_only_by_the_hardware_model, DRIVER);
    }

    @Test
    void a_driver_using_a_dma_ops_internal_class_breaks_the_dma_ops_internal_rule() {
        assertFailsNaming(CacheMaintenanceVisibilityRules.the_dma_api_internals_are_used_only_by_the_dma_api,
                DRIVER);
    }

    @Test
    void a_driver_programming_the_smmu_breaks_the_smmu_rule() {
        assertFailsNaming(TlbMaintenanceVisibilityRules.only_the_smmu_driver_programs_the_smmu, DRIVER);
    }

    @Test
    void a_driver_gathering_tlb_invalidations_breaks_the_tlb_rule() {
        assertFailsNaming(TlbMaintenanceVisibilityRules
                .tlb_primitives_are_used_only_by_the_dma_api_and_the_smmu_driver, DRIVER);
    }

    @Test
    void a_driver_naming_the_iommu_spi_breaks_the_spi_rule() {
        assertFailsNaming(TlbMaintenanceVisibilityRules
                .the_iommu_driver_spi_is_used_only_by_the_dma_api_and_the_smmu_driver, DRIVER);
    }

    @Test
    void an_api_class_issuing_maintenance_itself_breaks_the_delegation_rule() {
        assertFailsNaming(DmaOpsLayeringRules
                .the_dma_api_package_delegates_cache_maintenance_to_its_internal_packages, SHORTCUT);
    }

    @Test
    void a_driver_outside_every_layer_breaks_the_layering() {
        assertFailsNaming(DmaOpsLayeringRules.modules_depend_only_downwards, DRIVER);
    }

    private void assertFailsNaming(ArchRule rule, String rogue) {
        rule.check(library);
        AssertionError e = assertThrows(AssertionError.class, () -> rule.check(withRogues));
        assertTrue(e.getMessage().contains(rogue), e::getMessage);
    }
}

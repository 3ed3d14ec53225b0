package org.dmalib.architecture;

import com.tngtech.archunit.core.importer.ImportOption.DoNotIncludeTests;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTag;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.ArchTests;

/**
 * All ArchUnit rules, over dmalib's main classes as built (jars under {@code mvn verify}), on the
 * class path, where the module system enforces nothing and these rules are the only guard.
 */
@ArchTag("walls")
@AnalyzeClasses(packages = "org.dmalib", importOptions = {DoNotIncludeTests.class, Fixtures.ExcludeRogues.class})
class ArchitectureTest {
    @ArchTest
    static final ArchTests import_sanity = ArchTests.in(ImportSanityRules.class);

    @ArchTest
    static final ArchTests cache_maintenance_visibility = ArchTests.in(CacheMaintenanceVisibilityRules.class);

    @ArchTest
    static final ArchTests tlb_maintenance_visibility = ArchTests.in(TlbMaintenanceVisibilityRules.class);

    @ArchTest
    static final ArchTests dma_ops_layering = ArchTests.in(DmaOpsLayeringRules.class);

    @ArchTest
    static final ArchTests cycles = ArchTests.in(CycleRules.class);
}

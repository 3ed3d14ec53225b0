package org.dmalib.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** No dependency cycles between dmalib's top-level areas. */
final class CycleRules {
    private CycleRules() {}

    @ArchTest
    static final ArchRule the_top_level_areas_are_free_of_cycles = slices()
            .matching("org.dmalib.(*)..")
            .should().beFreeOfCycles()
            .because("the modules form a DAG (JPMS refuses cyclic requires, the class path does not); "
                    + "inside a module, public API and internal packages call each other on purpose "
                    + "(the API delegates, the internals return API values), so slices are whole modules");
}

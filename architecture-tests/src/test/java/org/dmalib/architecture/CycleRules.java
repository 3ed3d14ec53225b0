package org.dmalib.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.List;

/** No dependency cycles between dmalib's modules. */
final class CycleRules {
    /**
     * The principal package of every module (module name = principal package), longest first so
     * that {@code org.dmalib.iommu.api} and {@code org.dmalib.iommu.smmu} are told apart.
     */
    private static final List<String> MODULES = List.of(
            "org.dmalib.arch.coherency", "org.dmalib.iommu.smmu", "org.dmalib.iommu.api",
            "org.dmalib.dma.ops", "org.dmalib.examples", "org.dmalib.cli", "org.dmalib.hw");

    /** One slice per module: a class belongs to the module whose principal package holds it. */
    static final SliceAssignment BY_MODULE = new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
            String pkg = javaClass.getPackageName();
            for (String module : MODULES) {
                if (pkg.equals(module) || pkg.startsWith(module + ".")) {
                    return SliceIdentifier.of(module);
                }
            }
            return SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "dmalib modules";
        }
    };

    private CycleRules() {}

    @ArchTest
    static final ArchRule the_modules_are_free_of_cycles = slices()
            .assignedFrom(BY_MODULE)
            .should().beFreeOfCycles()
            .because("the modules form a DAG (JPMS refuses cyclic requires, the class path does not); "
                    + "inside a module, public API and internal packages call each other on purpose "
                    + "(the API delegates, the internals return API values), so slices are whole modules");
}

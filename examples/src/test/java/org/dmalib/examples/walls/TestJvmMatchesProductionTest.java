package org.dmalib.examples.walls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import org.dmalib.dma.ops.DmaDevice;
import org.junit.jupiter.api.Test;

/**
 * The test JVM grants nothing production does not: Surefire 3.6.1 would add
 * {@code --add-exports <every qualified export>=ALL-UNNAMED}; the pinned version must not, or
 * class-path code in the test JVM (JUnit, helpers) could reach the primitives unnoticed.
 */
class TestJvmMatchesProductionTest {
    private static final Module UNNAMED = ClassLoader.getSystemClassLoader().getUnnamedModule();

    @Test
    void the_tests_run_inside_the_named_driver_module() {
        Module self = getClass().getModule();
        assertTrue(self.isNamed());
        assertEquals("org.dmalib.examples", self.getName());
        assertTrue(DmaDevice.class.getModule().isNamed(), "the library is on the module path");
    }

    @Test
    void no_privileged_package_is_exported_to_the_class_path_or_to_the_driver() {
        Module driver = getClass().getModule();
        int checked = 0;
        for (Module m : ModuleLayer.boot().modules()) {
            ModuleDescriptor d = m.getDescriptor();
            if (!m.getName().startsWith("org.dmalib.")) {
                continue;
            }
            for (ModuleDescriptor.Exports e : d.exports()) {
                if (e.isQualified()) {
                    assertFalse(m.isExported(e.source(), UNNAMED),
                            e.source() + " is exported to ALL-UNNAMED in the test JVM");
                    assertFalse(m.isExported(e.source(), driver),
                            e.source() + " is exported to the driver in the test JVM");
                    assertFalse(m.isOpen(e.source(), UNNAMED), e.source() + " is opened");
                    checked++;
                }
            }
        }
        assertTrue(checked >= 2, "the qualified exports were found: " + checked);
    }
}

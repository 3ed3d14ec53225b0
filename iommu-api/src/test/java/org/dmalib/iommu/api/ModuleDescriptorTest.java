package org.dmalib.iommu.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The module's exports are part of its API: pin them (tests run patched into the module). */
class ModuleDescriptorTest {
    @Test
    void only_the_api_is_exported_to_everyone_and_nothing_is_opened() {
        ModuleDescriptor d = IommuDomain.class.getModule().getDescriptor();
        assertEquals("org.dmalib.iommu.api", d.name());
        Map<String, Set<String>> exports = new TreeMap<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            exports.put(e.source(), e.targets());
        }
        assertEquals(Map.of(
                "org.dmalib.iommu.api", Set.of(),
                "org.dmalib.iommu.api.spi", Set.of("org.dmalib.dma.ops", "org.dmalib.iommu.smmu"),
                "org.dmalib.iommu.api.internal.tlb", Set.of("org.dmalib.dma.ops", "org.dmalib.iommu.smmu")),
                exports);
        assertTrue(d.opens().isEmpty());
        assertFalse(d.isOpen());
    }
}

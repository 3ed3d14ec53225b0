package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Who may use which dmalib package, as the module descriptors say. */
class PrivilegesTest {
    @Test
    void theRunningModulesGiveTheWallsOfDesignMd() {
        Privileges walls = Privileges.ofRunningDmalib();
        Privileges.Access cache = walls.of("org.dmalib.hw.cache").orElseThrow();
        assertEquals(new Privileges.Access("org.dmalib.hw.cache", "org.dmalib.hw", true,
                Set.of("org.dmalib.arch.coherency")), cache);
        assertFalse(cache.isPublic());
        assertEquals("package org.dmalib.hw.cache of org.dmalib.hw is exported only to "
                + "org.dmalib.arch.coherency", cache.why());
        assertEquals(Set.of("org.dmalib.dma.ops", "org.dmalib.iommu.smmu"),
                walls.of("org.dmalib.iommu.api.internal.tlb").orElseThrow().targets());
        Privileges.Access internal = walls.of("org.dmalib.dma.ops.internal.iommu").orElseThrow();
        assertFalse(internal.exported());
        assertEquals("package org.dmalib.dma.ops.internal.iommu of org.dmalib.dma.ops is not "
                + "exported", internal.why());
        assertTrue(walls.of("org.dmalib.dma.ops").orElseThrow().isPublic());
        assertEquals(Optional.empty(), walls.of("com.acme.nic"));
        assertEquals(Optional.empty(), walls.of("org.dmalib"), "no module holds the root");
        List<String> api = walls.publicPackages();
        assertTrue(api.containsAll(List.of("org.dmalib.dma.ops", "org.dmalib.hw",
                "org.dmalib.iommu.api", "org.dmalib.iommu.smmu")), api::toString);
        assertTrue(api.stream().noneMatch(p -> p.contains(".internal") || p.equals("org.dmalib.hw.cache")
                || p.equals("org.dmalib.hw.smmu") || p.equals("org.dmalib.iommu.api.spi")), api::toString);
    }

    @Test
    void onlyDmalibModulesCountAndAQualifiedExportListsItsTargetsSorted() {
        ModuleDescriptor dmalib = ModuleDescriptor.newModule("org.dmalib.x")
                .exports("org.dmalib.x")
                .exports(Set.of(), "org.dmalib.x.spi", Set.of("org.dmalib.z", "org.dmalib.y"))
                .packages(Set.of("org.dmalib.x.internal"))
                .build();
        ModuleDescriptor other = ModuleDescriptor.newModule("com.acme").exports("com.acme").build();
        Privileges walls = Privileges.of(List.of(dmalib, other));
        assertTrue(walls.of("org.dmalib.x").orElseThrow().isPublic());
        assertEquals("package org.dmalib.x.spi of org.dmalib.x is exported only to org.dmalib.y, "
                + "org.dmalib.z", walls.of("org.dmalib.x.spi").orElseThrow().why());
        assertFalse(walls.of("org.dmalib.x.internal").orElseThrow().exported());
        assertEquals(Optional.empty(), walls.of("com.acme"));
        assertEquals(List.of("org.dmalib.x"), walls.publicPackages());
    }

    @Test
    void aPackageExportedToEveryoneSaysSo() {
        ModuleDescriptor dmalib = ModuleDescriptor.newModule("org.dmalib.x").exports("org.dmalib.x").build();
        assertEquals("package org.dmalib.x of org.dmalib.x is exported to everyone",
                Privileges.of(List.of(dmalib)).of("org.dmalib.x").orElseThrow().why());
    }

    @Test
    void theRunningModulesIncludeThisCommandsOwn() {
        // on the class path the command's own module is a classes directory, not a jar
        assertEquals(new Privileges.Access("org.dmalib.cli", "org.dmalib.cli", true, Set.of()),
                Privileges.ofRunningDmalib().of("org.dmalib.cli").orElseThrow());
    }
}

package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dmalib.dma.ops.DmaDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dmalib check-driver} from this module: clean code passes, dmalib's own DMA-ops classes
 * (which use the cache primitives they are granted) are findings for a driver, and every bad
 * input is one line and exit status 2. A third-party driver compiled on the class path is
 * checked in the architecture tests.
 */
class CheckDriverCommandTest {
    // the arch primitives dma-ops is granted, as a driver would be told it may not use them
    private static final Pattern CACHE_PRIMITIVE = Pattern.compile(".+!org/dmalib/dma/ops/\\S+\\.class: "
            + "uses org\\.dmalib\\.arch\\.coherency\\.internal\\.cache\\.\\w+ \\(package "
            + "org\\.dmalib\\.arch\\.coherency\\.internal\\.cache of org\\.dmalib\\.arch\\.coherency "
            + "is exported only to org\\.dmalib\\.dma\\.ops, org\\.dmalib\\.iommu\\.smmu\\)");

    private static byte[] objectClass() throws IOException {
        try (InputStream in = Object.class.getModule().getResourceAsStream("java/lang/Object.class")) {
            return in.readAllBytes();
        }
    }


    private static Path dmaOpsLocation() throws URISyntaxException {
        return Path.of(DmaDevice.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void aClassThatNamesNoDmalibPackagePassesWithASummary(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("Object.class");
        Files.write(file, objectClass());
        CliRun run = CliRun.of("check-driver", file.toString());
        assertEquals(Main.OK, run.exit(), run::toString);
        assertEquals(List.of("1 class file in 1 input: no use of dmalib's privileged or internal "
                + "packages."), run.lines());
        CliRun json = CliRun.of("check-driver", "--json", file.toString());
        assertEquals(Main.OK, json.exit(), json::toString);
        assertEquals("", json.out(), "JSON: nothing when nothing is found");
    }

    @Test
    void dmaOpsOwnUseOfTheCachePrimitivesIsAFindingForADriver() throws URISyntaxException {
        CliRun run = CliRun.of("check-driver", dmaOpsLocation().toString());
        assertEquals(Main.FAILED, run.exit(), run::toString);
        assertTrue(run.lines().stream().anyMatch(l -> CACHE_PRIMITIVE.matcher(l).matches()), run::toString);
        String last = run.lines().get(run.lines().size() - 1);
        assertTrue(last.matches("\\d+ class files in 1 input: \\d+ findings in \\d+ classes\\. "
                + "dmalib exports to everyone only: .*org\\.dmalib\\.dma\\.ops.*\\."), last);
    }

    @Test
    void aJarIsReadEntryByEntryAndItsModuleDescriptorsAreSkipped(@TempDir Path dir) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("module-info.class", new byte[] {1, 2, 3}); // never read: no class to check
        entries.put("META-INF/versions/11/module-info.class", new byte[] {1, 2, 3});
        entries.put("java/lang/Object.class", objectClass());
        Path jar = Zips.write(dir.resolve("driver.jar"), entries);
        CliRun run = CliRun.of("check-driver", jar.toString());
        assertEquals(Main.OK, run.exit(), run::toString);
        assertEquals(List.of("1 class file in 1 input: no use of dmalib's privileged or internal "
                + "packages."), run.lines());
    }

    @Test
    void aDirectoryIsSearchedForClassFilesAndThenForJars(@TempDir Path dir) throws IOException,
            URISyntaxException {
        Files.write(dir.resolve("Object.class"), objectClass());
        Path libs = Files.createDirectories(dir.resolve("libs"));
        Zips.write(libs.resolve("driver.jar"), Map.of("java/lang/Object.class", objectClass()));
        CliRun clean = CliRun.of("check-driver", dir.toString());
        assertEquals(Main.OK, clean.exit(), clean::toString);
        assertEquals(List.of("2 class files in 1 input: no use of dmalib's privileged or internal "
                + "packages."), clean.lines());
        jarOf(dmaOpsLocation(), libs.resolve("dma-ops.jar"));
        CliRun found = CliRun.of("check-driver", dir.toString());
        assertEquals(Main.FAILED, found.exit(), found::toString);
        assertTrue(found.lines().stream().anyMatch(l -> l.startsWith(libs.resolve("dma-ops.jar")
                + "!org/dmalib/dma/ops/")), found::toString);
    }

    /** Copies a module's jar to {@code jar}, or jars its classes directory there. */
    private static void jarOf(Path location, Path jar) throws IOException {
        if (Files.isRegularFile(location)) {
            Files.copy(location, jar);
            return;
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (java.util.stream.Stream<Path> walk = Files.walk(location)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                entries.put(location.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        Zips.write(jar, entries);
    }

    @Test
    void badPathsAndFilesAreOneLineAndExitStatus2(@TempDir Path dir) throws IOException {
        assertTrue(CliRun.of("check-driver").oneLineError().contains("PATH"));
        Path missing = dir.resolve("nope.jar");
        assertEquals("dmalib check-driver: " + missing + ": no such file or directory",
                CliRun.of("check-driver", missing.toString()).oneLineError());
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a jar");
        assertTrue(CliRun.of("check-driver", text.toString()).oneLineError()
                .startsWith("dmalib check-driver: " + text + ": not a jar, a directory or a class file"));
        Path garbage = Files.write(dir.resolve("Bad.class"), new byte[] {0, 1, 2, 3, 4, 5, 6, 7});
        assertEquals("dmalib check-driver: " + garbage + ": not a class file (it starts 0x00010203, "
                + "not 0xcafebabe)", CliRun.of("check-driver", garbage.toString()).oneLineError());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.write(empty.resolve("module-info.class"), new byte[] {1});
        assertEquals("dmalib check-driver: " + empty + ": no class file or services file to check (give the compiled "
                + "classes or the jar)", CliRun.of("check-driver", empty.toString()).oneLineError());
        Path jar = Zips.write(dir.resolve("broken.jar"),
                Map.of("com/acme/Broken.class", new byte[] {(byte) 0xCA, (byte) 0xFE}));
        assertEquals("dmalib check-driver: " + jar + "!com/acme/Broken.class: not a class file (it ends "
                + "inside its header or constant pool, at byte 2)",
                CliRun.of("check-driver", jar.toString()).oneLineError());
    }

    @Test
    void oneFindingIsOneLineAndASingularSummaryOrOneJsonObjectAlone(@TempDir Path dir) throws IOException {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("com/acme/Driver");
        c.classOf("org/dmalib/hw/cache/Flush");
        Path file = Files.write(dir.resolve("Driver.class"), c.bytes(self));
        CliRun run = CliRun.of("check-driver", file.toString());
        assertEquals(Main.FAILED, run.exit(), run::toString);
        assertEquals(List.of(file + ": uses org.dmalib.hw.cache.Flush (package org.dmalib.hw.cache of "
                        + "org.dmalib.hw is exported only to org.dmalib.arch.coherency)",
                "1 class file in 1 input: 1 finding in 1 class. dmalib exports to everyone only: "
                        + String.join(", ", Privileges.ofRunningDmalib().publicPackages()) + "."),
                run.lines());
        CliRun json = CliRun.of("check-driver", "--json", file.toString());
        assertEquals(Main.FAILED, json.exit(), json::toString);
        assertEquals(List.of("{\"source\":" + Json.string(file.toString()) + ",\"class\":"
                + Json.string(file.toString()) + ",\"kind\":\"uses\",\"target\":"
                + "\"org.dmalib.hw.cache.Flush\",\"package\":\"org.dmalib.hw.cache\",\"module\":"
                + "\"org.dmalib.hw\",\"exported\":true,\"exportedTo\":[\"org.dmalib.arch.coherency\"]}"),
                json.lines());
    }

    @Test
    void aSpringBootJarsNestedDriverAndServicesFilesAreFindingsCountedByKindOfFile(@TempDir Path dir)
            throws IOException {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("com/acme/nic/NicDriver");
        c.classOf("org/dmalib/hw/cache/Flush");
        Map<String, byte[]> nic = new LinkedHashMap<>();
        nic.put("com/acme/nic/NicDriver.class", c.bytes(self));
        nic.put("META-INF/services/org.dmalib.iommu.api.spi.IommuDomainOps",
                "com.acme.nic.NicDomainOps\n".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> app = new LinkedHashMap<>();
        app.put("BOOT-INF/classes/java/lang/Object.class", objectClass());
        app.put("BOOT-INF/lib/acme-nic.jar", Zips.stored(nic));
        app.put("META-INF/services/com.acme.Plugin",
                "# ours\norg.dmalib.dma.ops.internal.iommu.IommuDma\n".getBytes(StandardCharsets.UTF_8));
        Path jar = Zips.write(dir.resolve("app.jar"), app);
        String spi = "org.dmalib.iommu.api.spi.IommuDomainOps";
        CliRun run = CliRun.of("check-driver", jar.toString());
        assertEquals(Main.FAILED, run.exit(), run::toString);
        assertEquals(List.of(jar + "!BOOT-INF/lib/acme-nic.jar!META-INF/services/" + spi + ": provides "
                        + spi + " (package org.dmalib.iommu.api.spi of org.dmalib.iommu.api is exported "
                        + "only to org.dmalib.dma.ops, org.dmalib.iommu.smmu)",
                jar + "!BOOT-INF/lib/acme-nic.jar!com/acme/nic/NicDriver.class: uses "
                        + "org.dmalib.hw.cache.Flush (package org.dmalib.hw.cache of org.dmalib.hw is "
                        + "exported only to org.dmalib.arch.coherency)",
                jar + "!META-INF/services/com.acme.Plugin: registers "
                        + "org.dmalib.dma.ops.internal.iommu.IommuDma (package "
                        + "org.dmalib.dma.ops.internal.iommu of org.dmalib.dma.ops is not exported)",
                "2 class files and 2 services files in 1 input: 3 findings in 1 class and 2 services "
                        + "files. dmalib exports to everyone only: "
                        + String.join(", ", Privileges.ofRunningDmalib().publicPackages()) + "."),
                run.lines());
        CliRun json = CliRun.of("check-driver", "--json", jar.toString());
        assertEquals(Main.FAILED, json.exit(), json::toString);
        String source = "{\"source\":" + Json.string(jar.toString()) + ",\"class\":";
        assertEquals(List.of(source + "\"BOOT-INF/lib/acme-nic.jar!META-INF/services/" + spi
                        + "\",\"kind\":\"provides\",\"target\":\"" + spi + "\",\"package\":"
                        + "\"org.dmalib.iommu.api.spi\",\"module\":\"org.dmalib.iommu.api\",\"exported\":"
                        + "true,\"exportedTo\":[\"org.dmalib.dma.ops\",\"org.dmalib.iommu.smmu\"]}",
                source + "\"BOOT-INF/lib/acme-nic.jar!com/acme/nic/NicDriver.class\",\"kind\":\"uses\","
                        + "\"target\":\"org.dmalib.hw.cache.Flush\",\"package\":\"org.dmalib.hw.cache\","
                        + "\"module\":\"org.dmalib.hw\",\"exported\":true,\"exportedTo\":"
                        + "[\"org.dmalib.arch.coherency\"]}",
                source + "\"META-INF/services/com.acme.Plugin\",\"kind\":\"registers\",\"target\":"
                        + "\"org.dmalib.dma.ops.internal.iommu.IommuDma\",\"package\":"
                        + "\"org.dmalib.dma.ops.internal.iommu\",\"module\":\"org.dmalib.dma.ops\","
                        + "\"exported\":false,\"exportedTo\":[]}"), json.lines());
    }

    @Test
    void servicesFilesAloneAreSomethingToCheckAndTheSummarySaysSo(@TempDir Path dir) throws IOException {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve("org.dmalib.iommu.api.spi.IommuDomainOps"), "com.acme.Ops\n");
        CliRun run = CliRun.of("check-driver", dir.toString());
        assertEquals(Main.FAILED, run.exit(), run::toString);
        assertEquals(2, run.lines().size(), run::toString);
        assertTrue(run.lines().get(1).startsWith("0 class files and 1 services file in 1 input: 1 "
                + "finding in 1 services file. dmalib exports to everyone only: "), run::toString);
        Files.delete(services.resolve("org.dmalib.iommu.api.spi.IommuDomainOps"));
        Files.writeString(services.resolve("com.acme.Plugin"), "com.acme.Clean\n");
        CliRun clean = CliRun.of("check-driver", dir.toString());
        assertEquals(Main.OK, clean.exit(), clean::toString);
        assertEquals(List.of("0 class files and 1 services file in 1 input: no use of dmalib's "
                + "privileged or internal packages."), clean.lines());
    }

    @Test
    void aNestedJarThatIsNoZipOrNestsTooDeepIsOneLineAndExitStatus2(@TempDir Path dir) throws IOException {
        Path bad = Zips.write(dir.resolve("app.jar"), Map.of("BOOT-INF/lib/bad.jar", new byte[] {1, 2, 3, 4}));
        assertEquals("dmalib check-driver: " + bad + "!BOOT-INF/lib/bad.jar: not a jar or zip (it starts "
                + "0x01020304, not 0x504b0304 or, empty, 0x504b0506)",
                CliRun.of("check-driver", bad.toString()).oneLineError());
        byte[] nest = Zips.bytes(Map.of());
        StringBuilder path = new StringBuilder();
        for (int level = DriverInputs.MAX_NESTING + 1; level >= 1; level--) {
            nest = Zips.bytes(Map.of(level + ".jar", nest));
            path.insert(0, "!" + level + ".jar");
        }
        Path deep = Files.write(dir.resolve("deep.jar"), nest);
        assertEquals("dmalib check-driver: " + deep + path + ": jars nested more than 8 deep (as a zip "
                + "bomb nests them): not read", CliRun.of("check-driver", deep.toString()).oneLineError());
    }
}

package org.dmalib.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.dmalib.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dmalib check-driver} on a real third-party driver ({@link ThirdPartyDriver}) compiled on
 * the class path, as a CI job of the driver's repository would run it: from this test module,
 * which runs on the class path, so the walls are read from the module descriptors in dmalib's
 * jars there (the runtime image's launcher reads its own: {@link RuntimeImageTest}).
 */
class CheckDriverTest {
    private static final String SNEAKY = "com/acme/nic/SneakyDriver.class";
    /** The findings for {@link ThirdPartyDriver#all}, after each class file's name. */
    static final List<String> FINDINGS = List.of(
            SNEAKY + ": uses org.dmalib.hw.cache.CacheMaintenance (package org.dmalib.hw.cache of "
                    + "org.dmalib.hw is exported only to org.dmalib.arch.coherency)",
            SNEAKY + ": uses org.dmalib.iommu.api.internal.tlb.IotlbGather (package "
                    + "org.dmalib.iommu.api.internal.tlb of org.dmalib.iommu.api is exported only "
                    + "to org.dmalib.dma.ops, org.dmalib.iommu.smmu)",
            SNEAKY + ": names org.dmalib.dma.ops.internal.iommu.IommuDma (package "
                    + "org.dmalib.dma.ops.internal.iommu of org.dmalib.dma.ops is not exported)",
            "org/dmalib/dma/ops/Spoof.class: declares org.dmalib.dma.ops.Spoof in package "
                    + "org.dmalib.dma.ops of org.dmalib.dma.ops (on the class path it would share "
                    + "that package's package-private access)");

    private record Run(int exit, List<String> out, String err) {}

    private static Run check(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = Stream.concat(Stream.of("check-driver"), Stream.of(args)).toArray(String[]::new);
        int exit = Main.run(all, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString().lines().toList(), err.toString());
    }

    @Test
    void a_driver_that_keeps_to_the_api_passes(@TempDir Path dir) throws IOException {
        Path classes = ThirdPartyDriver.compile(dir.resolve("good"),
                Map.of("com.acme.nic.GoodDriver", ThirdPartyDriver.GOOD));
        Run r = check(classes.toString());
        assertEquals(Main.OK, r.exit(), r::toString);
        assertEquals(List.of("1 class file in 1 input: no use of dmalib's privileged or internal "
                + "packages."), r.out());
    }

    @Test
    void every_reach_past_the_api_is_reported_once_and_fails_the_check(@TempDir Path dir)
            throws IOException {
        Path classes = ThirdPartyDriver.compile(dir.resolve("all"), ThirdPartyDriver.all());
        Run r = check(classes.toString());
        assertEquals(Main.FAILED, r.exit(), r::toString);
        String prefix = classes + "!";
        assertEquals(FINDINGS.stream().map(f -> prefix + f).toList(), r.out().subList(0, 4));
        assertEquals(5, r.out().size(), r::toString);
        assertTrue(r.out().get(4).startsWith("3 class files in 1 input: 4 findings in 2 classes. "
                + "dmalib exports to everyone only: "), r.out().get(4));
        assertTrue(r.out().get(4).contains("org.dmalib.dma.ops, "), r.out().get(4));
    }

    @Test
    void a_jar_of_the_driver_gives_the_same_findings_by_entry(@TempDir Path dir) throws IOException {
        Path classes = ThirdPartyDriver.compile(dir.resolve("all"), ThirdPartyDriver.all());
        Path jar = dir.resolve("acme-nic.jar");
        try (OutputStream file = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(file);
                Stream<Path> walk = Files.walk(classes)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        Run r = check("--json", jar.toString());
        assertEquals(Main.FAILED, r.exit(), r::toString);
        assertEquals(4, r.out().size(), "JSON: the findings only\n" + r);
        assertEquals("{\"source\":\"" + jar + "\",\"class\":\"" + SNEAKY + "\",\"kind\":\"uses\","
                + "\"target\":\"org.dmalib.hw.cache.CacheMaintenance\",\"package\":"
                + "\"org.dmalib.hw.cache\",\"module\":\"org.dmalib.hw\",\"exported\":true,"
                + "\"exportedTo\":[\"org.dmalib.arch.coherency\"]}", r.out().get(0));
        assertTrue(r.out().get(3).contains("\"kind\":\"declares\""), r.out().get(3));
    }

    /** Writes a jar of {@code entries} (name to bytes, in order) to {@code jar}. */
    private static Path jar(Path jar, Map<String, byte[]> entries) throws IOException {
        try (OutputStream file = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(file)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return jar;
    }

    /** The compiled classes under {@code classes}, by entry name, prefixed with {@code prefix}. */
    private static Map<String, byte[]> entries(Path classes, String prefix) throws IOException {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(classes)) {
            for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                entries.put(prefix + classes.relativize(f).toString().replace('\\', '/'),
                        Files.readAllBytes(f));
            }
        }
        return entries;
    }

    @Test
    void a_driver_inside_an_application_jar_is_found_with_its_service_registration(
            @TempDir Path dir) throws IOException {
        // a Spring Boot style application: its own clean class, the driver's jar in
        // BOOT-INF/lib, and the driver registering its class as a provider of dmalib's SPI
        Path good = ThirdPartyDriver.compile(dir.resolve("good"),
                Map.of("com.acme.nic.GoodDriver", ThirdPartyDriver.GOOD));
        Path all = ThirdPartyDriver.compile(dir.resolve("all"), ThirdPartyDriver.all());
        String service = "META-INF/services/org.dmalib.iommu.api.spi.IommuDomainOps";
        Map<String, byte[]> driver = entries(all, "");
        String providers = String.join("\n", "# the driver's domain ops",
                " com.acme.nic.SneakyDriver ", // white space around a name is not part of it
                "org.dmalib.iommu.smmu.internal.pgtable.ArmLpaePageTable", "");
        driver.put(service, providers.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path inner = jar(dir.resolve("acme-nic.jar"), driver);
        Map<String, byte[]> app = entries(good, "BOOT-INF/classes/");
        app.put("BOOT-INF/lib/acme-nic.jar", Files.readAllBytes(inner));
        Path outer = jar(dir.resolve("app.jar"), app);

        Run r = check(outer.toString());
        assertEquals(Main.FAILED, r.exit(), r::toString);
        String nested = outer + "!BOOT-INF/lib/acme-nic.jar!";
        List<String> want = new java.util.ArrayList<>();
        want.add(nested + service + ": provides org.dmalib.iommu.api.spi.IommuDomainOps (package "
                + "org.dmalib.iommu.api.spi of org.dmalib.iommu.api is exported only to "
                + "org.dmalib.dma.ops, org.dmalib.iommu.smmu)");
        want.add(nested + service + ": registers "
                + "org.dmalib.iommu.smmu.internal.pgtable.ArmLpaePageTable (package "
                + "org.dmalib.iommu.smmu.internal.pgtable of org.dmalib.iommu.smmu is not "
                + "exported)");
        FINDINGS.forEach(f -> want.add(nested + f));
        java.util.Collections.sort(want);
        List<String> got = new java.util.ArrayList<>(r.out().subList(0, r.out().size() - 1));
        java.util.Collections.sort(got);
        assertEquals(want, got, r::toString);
        assertTrue(r.out().get(r.out().size() - 1).startsWith("4 class files and 1 services file "
                + "in 1 input: 6 findings in 2 classes and 1 services file. "),
                r.out().get(r.out().size() - 1));
    }
}

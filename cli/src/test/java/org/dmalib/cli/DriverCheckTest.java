package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link DriverCheck} finds in hand-made class files, against walls of one made-up dmalib
 * module: {@code org.dmalib.x} is API, {@code org.dmalib.x.spi} is exported only to
 * {@code org.dmalib.y}, {@code org.dmalib.x.internal} is not exported.
 */
class DriverCheckTest {
    static final Privileges WALLS = Privileges.of(List.of(ModuleDescriptor.newModule("org.dmalib.x")
            .exports("org.dmalib.x")
            .exports(Set.of(), "org.dmalib.x.spi", Set.of("org.dmalib.y"))
            .packages(Set.of("org.dmalib.x.internal"))
            .build()));
    static final String NOT_EXPORTED = "(package org.dmalib.x.internal of org.dmalib.x is "
            + "not exported)";
    static final String ONLY_TO_Y = "(package org.dmalib.x.spi of org.dmalib.x is exported only "
            + "to org.dmalib.y)";

    /** A class file of {@code name} with class entries for each of {@code uses}. */
    static byte[] using(String name, String... uses) {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf(name);
        for (String u : uses) {
            c.classOf(u);
        }
        return c.bytes(self);
    }


    static List<String> lines(DriverCheck.Result r) {
        return r.findings().stream().map(DriverCheck.Finding::line).toList();
    }

    @Test
    void aClassDeclaredInADmalibPackageIsAFindingEvenInItsApi(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("Sneaky.class"), ClassFileBytes.declaring("org/dmalib/x/Sneaky"));
        DriverCheck.Result r = DriverCheck.check(List.of(file.toString()), WALLS);
        assertEquals(1, r.classes());
        assertEquals(List.of(file + ": declares org.dmalib.x.Sneaky in package org.dmalib.x of "
                + "org.dmalib.x (on the class path it would share that package's package-private "
                + "access)"), lines(r));
        assertEquals("{\"source\":" + Json.string(file.toString()) + ",\"class\":"
                + Json.string(file.toString()) + ",\"kind\":\"declares\",\"target\":"
                + "\"org.dmalib.x.Sneaky\",\"package\":\"org.dmalib.x\",\"module\":\"org.dmalib.x\","
                + "\"exported\":true,\"exportedTo\":[]}", r.findings().get(0).json());
    }

    @Test
    void usesOfPrivilegedAndInternalClassesAreFindingsSortedAndUsesOfTheApiAreNone(@TempDir Path dir)
            throws IOException {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("com/acme/Driver");
        c.classOf("org/dmalib/x/Api");
        c.classOf("org/dmalib/x/spi/Hook");
        c.classOf("org/dmalib/x/internal/Impl");
        c.utf8("(Lorg/dmalib/x/internal/Other;)V");
        Path file = Files.write(dir.resolve("Driver.class"), c.bytes(self));
        DriverCheck.Result r = DriverCheck.check(List.of(file.toString()), WALLS);
        assertEquals(List.of(file + ": uses org.dmalib.x.internal.Impl " + NOT_EXPORTED,
                file + ": uses org.dmalib.x.internal.Other " + NOT_EXPORTED,
                file + ": uses org.dmalib.x.spi.Hook (package org.dmalib.x.spi of org.dmalib.x is "
                        + "exported only to org.dmalib.y)"), lines(r));
        assertEquals("{\"source\":" + Json.string(file.toString()) + ",\"class\":"
                + Json.string(file.toString()) + ",\"kind\":\"uses\",\"target\":"
                + "\"org.dmalib.x.spi.Hook\",\"package\":\"org.dmalib.x.spi\",\"module\":\"org.dmalib.x\","
                + "\"exported\":true,\"exportedTo\":[\"org.dmalib.y\"]}", r.findings().get(2).json());
    }

    @Test
    void stringsNamingAPrivilegedClassOrAnInternalPackageAreFindingsOnceEachInOrder(@TempDir Path dir)
            throws IOException {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("com/acme/Driver");
        c.string("org.dmalib.x.spi.Hook");
        c.string("load org/dmalib/x/internal, then org.dmalib.x.Api and org.dmalib.nowhere.C");
        c.string("org.dmalib.x.spi.Hook");
        Path file = Files.write(dir.resolve("Driver.class"), c.bytes(self));
        DriverCheck.Result r = DriverCheck.check(List.of(file.toString()), WALLS);
        assertEquals(List.of(file + ": names org.dmalib.x.spi.Hook (package org.dmalib.x.spi of "
                        + "org.dmalib.x is exported only to org.dmalib.y)",
                file + ": names org.dmalib.x.internal " + NOT_EXPORTED), lines(r));
    }

    @Test
    void aClassOfTheDefaultPackageIsCheckedLikeAnyOther(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("Main.class"), using("Main", "Helper", "org/dmalib/x/internal/Impl"));
        DriverCheck.Result r = DriverCheck.check(List.of(file.toString()), WALLS);
        assertEquals(List.of(file + ": uses org.dmalib.x.internal.Impl " + NOT_EXPORTED), lines(r));
    }

    @Test
    void aJarsClassesAreCheckedInTheOrderOfTheirNames(@TempDir Path dir) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("com/acme/Z.class", using("com/acme/Z", "org/dmalib/x/internal/Impl"));
        entries.put("com/acme/A.class", using("com/acme/A", "org/dmalib/x/internal/Impl"));
        Path jar = Zips.write(dir.resolve("driver.jar"), entries);
        DriverCheck.Result r = DriverCheck.check(List.of(jar.toString()), WALLS);
        assertEquals(2, r.classes());
        assertEquals(List.of(jar + "!com/acme/A.class: uses org.dmalib.x.internal.Impl " + NOT_EXPORTED,
                jar + "!com/acme/Z.class: uses org.dmalib.x.internal.Impl " + NOT_EXPORTED), lines(r));
    }

    @Test
    void aDirectorysClassFilesAreNamedUnderItThenItsJarsByTheirOwnPath(@TempDir Path dir) throws IOException {
        Path classes = Files.createDirectories(dir.resolve("build/com/acme"));
        Files.write(classes.resolve("Driver.class"), using("com/acme/Driver", "org/dmalib/x/internal/Impl"));
        Path jar = Zips.write(dir.resolve("build/a.jar"), Map.of("com/acme/Lib.class",
                using("com/acme/Lib", "org/dmalib/x/spi/Hook")));
        String build = dir.resolve("build").toString();
        DriverCheck.Result r = DriverCheck.check(List.of(build), WALLS);
        assertEquals(2, r.classes());
        assertEquals(List.of(build + "!com/acme/Driver.class: uses org.dmalib.x.internal.Impl " + NOT_EXPORTED,
                jar + "!com/acme/Lib.class: uses org.dmalib.x.spi.Hook (package org.dmalib.x.spi of "
                        + "org.dmalib.x is exported only to org.dmalib.y)"), lines(r));
        assertEquals(build, r.findings().get(0).source());
        assertEquals("com/acme/Driver.class", r.findings().get(0).file());
    }

    @Test
    void aServicesFilesProviderLinesAreReadAsServiceLoaderReadsThemAndEachInternalOneIsAFinding(
            @TempDir Path dir) throws IOException {
        String plugins = """
                # providers of com.acme.Plugin\r
                com.acme.CleanPlugin\r

                   \t
                  org.dmalib.x.internal.Impl \t # the sneaky one
                \torg.dmalib.x.spi.Hook$Inner
                org.dmalib.x.Api
                org.dmalib.x.internal.Impl
                #org.dmalib.x.internal.Commented
                org.dmalib.nowhere.Provider#org.dmalib.x.internal.AfterTheHash""";
        Path jar = Zips.write(dir.resolve("driver.jar"), Map.of("META-INF/services/com.acme.Plugin",
                plugins.getBytes(StandardCharsets.UTF_8)));
        DriverCheck.Result r = DriverCheck.check(List.of(jar.toString()), WALLS);
        assertEquals(0, r.classes());
        assertEquals(1, r.servicesFiles());
        String where = jar + "!META-INF/services/com.acme.Plugin";
        assertEquals(List.of(where + ": registers org.dmalib.x.internal.Impl " + NOT_EXPORTED,
                where + ": registers org.dmalib.x.spi.Hook$Inner " + ONLY_TO_Y), lines(r));
        assertEquals("{\"source\":" + Json.string(jar.toString()) + ",\"class\":"
                + "\"META-INF/services/com.acme.Plugin\",\"kind\":\"registers\",\"target\":"
                + "\"org.dmalib.x.internal.Impl\",\"package\":\"org.dmalib.x.internal\",\"module\":"
                + "\"org.dmalib.x\",\"exported\":false,\"exportedTo\":[]}", r.findings().get(0).json());
    }

    @Test
    void aServicesFileNamedForAPrivilegedOrInternalServiceProvidesItButOneOfTheApiDoesNot(
            @TempDir Path dir) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("META-INF/services/org.dmalib.x.internal.Registry",
                "com.acme.MyRegistry\n".getBytes(StandardCharsets.UTF_8));
        entries.put("META-INF/services/org.dmalib.x.Api", "com.acme.MyApi\n".getBytes(StandardCharsets.UTF_8));
        entries.put("META-INF/services/org.dmalib.x.spi.Hook",
                "org.dmalib.x.internal.HookImpl\n".getBytes(StandardCharsets.UTF_8));
        entries.put("META-INF/services/sub/org.dmalib.x.spi.Hook", new byte[0]); // no services file
        entries.put("META-INF/org.dmalib.x.spi.Hook", new byte[0]); // nor this
        Path jar = Zips.write(dir.resolve("driver.jar"), entries);
        DriverCheck.Result r = DriverCheck.check(List.of(jar.toString()), WALLS);
        assertEquals(3, r.servicesFiles());
        String services = jar + "!META-INF/services/";
        assertEquals(List.of(services + "org.dmalib.x.internal.Registry: provides "
                        + "org.dmalib.x.internal.Registry " + NOT_EXPORTED,
                services + "org.dmalib.x.spi.Hook: provides org.dmalib.x.spi.Hook " + ONLY_TO_Y,
                services + "org.dmalib.x.spi.Hook: registers org.dmalib.x.internal.HookImpl "
                        + NOT_EXPORTED), lines(r));
        assertEquals("{\"source\":" + Json.string(jar.toString()) + ",\"class\":"
                + "\"META-INF/services/org.dmalib.x.spi.Hook\",\"kind\":\"provides\",\"target\":"
                + "\"org.dmalib.x.spi.Hook\",\"package\":\"org.dmalib.x.spi\",\"module\":"
                + "\"org.dmalib.x\",\"exported\":true,\"exportedTo\":[\"org.dmalib.y\"]}",
                r.findings().get(1).json());
    }

    @Test
    void aDirectorysServicesFilesAreReadAtAnyDepthEvenWithNoClassFile(@TempDir Path dir)
            throws IOException {
        Path resources = Files.createDirectories(dir.resolve("build/resources/main/META-INF/services"));
        Files.writeString(resources.resolve("org.dmalib.x.spi.Hook"), "com.acme.MyHook\n");
        Files.writeString(resources.resolve("com.acme.Plugin"), "com.acme.CleanPlugin\n");
        Path beside = Files.createDirectories(dir.resolve("build/resources/main/META-INF/other"));
        Files.writeString(beside.resolve("org.dmalib.x.spi.Hook"), "not read\n");
        String build = dir.resolve("build").toString();
        DriverCheck.Result r = DriverCheck.check(List.of(build), WALLS);
        assertEquals(0, r.classes());
        assertEquals(2, r.servicesFiles());
        assertEquals(List.of(build + "!resources/main/META-INF/services/org.dmalib.x.spi.Hook: provides "
                + "org.dmalib.x.spi.Hook " + ONLY_TO_Y), lines(r));
        assertEquals(build, r.findings().get(0).source());
        assertEquals("resources/main/META-INF/services/org.dmalib.x.spi.Hook", r.findings().get(0).file());
    }
}

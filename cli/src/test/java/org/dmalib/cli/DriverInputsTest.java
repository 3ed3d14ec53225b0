package org.dmalib.cli;

import static org.dmalib.cli.DriverCheckTest.NOT_EXPORTED;
import static org.dmalib.cli.DriverCheckTest.ONLY_TO_Y;
import static org.dmalib.cli.DriverCheckTest.WALLS;
import static org.dmalib.cli.DriverCheckTest.lines;
import static org.dmalib.cli.DriverCheckTest.using;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jars nested in jars that {@link DriverInputs} reads for {@link DriverCheck}, how it names
 * their files, and every way a nested jar is refused; against the made-up walls of
 * {@link DriverCheckTest}.
 */
class DriverInputsTest {
    private static final String SNEAKY_USES = ": uses org.dmalib.x.internal.Impl " + NOT_EXPORTED;

    private static DriverCheck.Result check(Path jar) {
        return DriverCheck.check(List.of(jar.toString()), WALLS);
    }

    /** Checks {@code jar}, which must be refused; {@return the refusal's message} */
    private static String refusal(Path jar) {
        return assertThrows(IllegalArgumentException.class, () -> check(jar)).getMessage();
    }

    @Test
    void aSpringBootJarsNestedJarsAreReadWhereTheirNamesSortAndTheirClassesNamedThroughThem(
            @TempDir Path dir) throws IOException {
        Map<String, byte[]> driver = new LinkedHashMap<>(); // out of order: read sorted
        driver.put("com/acme/Z.class", using("com/acme/Z", "org/dmalib/x/internal/Impl"));
        driver.put("module-info.class", new byte[] {1, 2, 3}); // skipped, as at the top
        driver.put("com/acme/A.class", using("com/acme/A", "org/dmalib/x/spi/Hook"));
        Map<String, byte[]> app = new LinkedHashMap<>();
        app.put("BOOT-INF/lib/driver.jar", Zips.stored(driver)); // Spring Boot stores them
        app.put("BOOT-INF/classes/com/acme/App.class", using("com/acme/App", "org/dmalib/x/Api"));
        app.put("WEB-INF/lib/extra.zip", Zips.bytes(Map.of("com/acme/X.class",
                using("com/acme/X", "org/dmalib/x/internal/Impl"))));
        app.put("BOOT-INF/lib/clean.jar", Zips.bytes(Map.of("com/acme/Clean.class",
                using("com/acme/Clean", "org/dmalib/x/Api"))));
        app.put("com/acme/Launcher.class", using("com/acme/Launcher", "org/dmalib/x/internal/Impl"));
        Path jar = Zips.write(dir.resolve("app.jar"), app);
        DriverCheck.Result r = check(jar);
        assertEquals(6, r.classes(), "the nested classes count");
        assertEquals(List.of(jar + "!BOOT-INF/lib/driver.jar!com/acme/A.class: uses org.dmalib.x.spi.Hook "
                        + ONLY_TO_Y,
                jar + "!BOOT-INF/lib/driver.jar!com/acme/Z.class" + SNEAKY_USES,
                jar + "!WEB-INF/lib/extra.zip!com/acme/X.class" + SNEAKY_USES,
                jar + "!com/acme/Launcher.class" + SNEAKY_USES), lines(r));
        DriverCheck.Finding nested = r.findings().get(1);
        assertEquals(jar.toString(), nested.source());
        assertEquals("BOOT-INF/lib/driver.jar!com/acme/Z.class", nested.file());
        assertEquals("{\"source\":" + Json.string(jar.toString()) + ",\"class\":"
                + "\"BOOT-INF/lib/driver.jar!com/acme/Z.class\",\"kind\":\"uses\",\"target\":"
                + "\"org.dmalib.x.internal.Impl\",\"package\":\"org.dmalib.x.internal\",\"module\":"
                + "\"org.dmalib.x\",\"exported\":false,\"exportedTo\":[]}", nested.json());
    }

    @Test
    void jarsNestTwoDeepAndTheirServicesFilesAreReadToo(@TempDir Path dir) throws IOException {
        Map<String, byte[]> inner = new LinkedHashMap<>();
        inner.put("org/dmalib/x/Sneaky.class", ClassFileBytes.declaring("org/dmalib/x/Sneaky"));
        inner.put("META-INF/services/org.dmalib.x.spi.Hook",
                "com.acme.MyHook\n".getBytes(StandardCharsets.UTF_8));
        byte[] middle = Zips.bytes(Map.of("lib/inner.jar", Zips.bytes(inner)));
        Path jar = Zips.write(dir.resolve("outer.jar"), Map.of("lib/middle.jar", middle));
        DriverCheck.Result r = check(jar);
        assertEquals(1, r.classes());
        assertEquals(1, r.servicesFiles());
        String inside = jar + "!lib/middle.jar!lib/inner.jar!";
        assertEquals(List.of(inside + "META-INF/services/org.dmalib.x.spi.Hook: provides "
                        + "org.dmalib.x.spi.Hook " + ONLY_TO_Y,
                inside + "org/dmalib/x/Sneaky.class: declares org.dmalib.x.Sneaky in package "
                        + "org.dmalib.x of org.dmalib.x (on the class path it would share that "
                        + "package's package-private access)"), lines(r));
        assertEquals("{\"source\":" + Json.string(jar.toString()) + ",\"class\":\"lib/middle.jar!"
                + "lib/inner.jar!META-INF/services/org.dmalib.x.spi.Hook\",\"kind\":\"provides\","
                + "\"target\":\"org.dmalib.x.spi.Hook\",\"package\":\"org.dmalib.x.spi\",\"module\":"
                + "\"org.dmalib.x\",\"exported\":true,\"exportedTo\":[\"org.dmalib.y\"]}",
                r.findings().get(0).json());
    }

    @Test
    void aNestedJarThatIsNoZipIsABadInputNamedByItsFullPath(@TempDir Path dir) throws IOException {
        Path text = Zips.write(dir.resolve("text.jar"), Map.of("lib/middle.jar", Zips.bytes(Map.of(
                "lib/notes.jar", "not a jar".getBytes(StandardCharsets.US_ASCII)))));
        assertEquals(text + "!lib/middle.jar!lib/notes.jar: not a jar or zip (it starts 0x6e6f7420, "
                + "not 0x504b0304 or, empty, 0x504b0506)", refusal(text));
        Path tiny = Zips.write(dir.resolve("tiny.jar"), Map.of("lib/tiny.zip", new byte[] {'P', 'K'}));
        assertEquals(tiny + "!lib/tiny.zip: not a jar or zip (it ends at byte 2, before a zip's first "
                + "header)", refusal(tiny));
        Path empty = Zips.write(dir.resolve("empty.jar"), Map.of("lib/empty.jar", Zips.bytes(Map.of()),
                "A.class", using("A")));
        assertEquals(1, check(empty).classes(), "an empty nested zip is a zip");
    }

    @Test
    void aNestedJarCutShortOrCorruptIsABadInputNamedByItsFullPath(@TempDir Path dir) throws IOException {
        String name = "com/acme/Driver.class";
        byte[] driver = using("com/acme/Driver", "org/dmalib/x/Api", "org/dmalib/x/OtherApi");
        // cut two bytes into the deflated data of the first entry, after its 30-byte local header
        byte[] cut = Arrays.copyOf(Zips.bytes(Map.of(name, driver)), 30 + name.length() + 2);
        Path shortJar = Zips.write(dir.resolve("short.jar"), Map.of("lib/cut.jar", cut));
        assertEquals(shortJar + "!lib/cut.jar: not a jar or zip (Unexpected end of ZLIB input stream)",
                refusal(shortJar));
        byte[] stored = Zips.stored(Map.of(name, driver));
        // the stored data follows its local header; its last byte changed, the CRC no longer holds
        stored[30 + name.length() + driver.length - 1] ^= 1;
        byte[] flipped = driver.clone();
        flipped[flipped.length - 1] ^= 1;
        Path corrupt = Zips.write(dir.resolve("corrupt.jar"), Map.of("lib/crc.jar", stored));
        assertEquals(corrupt + "!lib/crc.jar: not a jar or zip (invalid entry CRC (expected 0x"
                + Long.toHexString(crc(driver)) + " but got 0x" + Long.toHexString(crc(flipped)) + "))",
                refusal(corrupt));
    }

    @Test
    void aNestedJarCutAtAnEntryBoundaryIsRefusedNotReadAsWhole(@TempDir Path dir) throws IOException {
        Map<String, byte[]> two = new LinkedHashMap<>();
        two.put("com/acme/A.class", using("com/acme/A", "org/dmalib/x/Api"));
        two.put("com/acme/B.class", using("com/acme/B", "org/dmalib/x/internal/Impl"));
        byte[] whole = Zips.bytes(two);
        // cut just before the second entry's local header: the first reads whole, B is never seen
        int second = indexOf(whole, new byte[] {'P', 'K', 3, 4}, 1);
        Path cutJar = Zips.write(dir.resolve("cut.jar"),
                Map.of("lib/cut.jar", Arrays.copyOf(whole, second)));
        assertEquals(cutJar + "!lib/cut.jar: not a whole jar or zip (no end of central directory "
                + "record in its last 65557 bytes: cut short?)", refusal(cutJar));
        // cut inside the central directory (after every entry): refused as well
        int directory = indexOf(whole, new byte[] {'P', 'K', 1, 2}, 0);
        Path noEnd = Zips.write(dir.resolve("noend.jar"),
                Map.of("lib/noend.jar", Arrays.copyOf(whole, directory + 10)));
        assertEquals(noEnd + "!lib/noend.jar: not a whole jar or zip (no end of central directory "
                + "record in its last 65557 bytes: cut short?)", refusal(noEnd));
        // whole, and whole with a comment-less end record followed by padding: read
        Path ok = Zips.write(dir.resolve("ok.jar"), Map.of("lib/ok.jar", whole,
                "lib/padded.jar", Arrays.copyOf(whole, whole.length + 7)));
        assertEquals(4, check(ok).classes());
    }

    @Test
    void aNestedJarLargerThanTheKeptTailIsCheckedByItsLastBytes(@TempDir Path dir)
            throws IOException {
        byte[] big = new byte[200_000]; // stored: the nested zip is longer than the ring
        new java.util.Random(7).nextBytes(big);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("data.bin", big);
        entries.put("com/acme/A.class", using("com/acme/A", "org/dmalib/x/Api"));
        byte[] whole = Zips.stored(entries);
        Path ok = Zips.write(dir.resolve("big.jar"), Map.of("lib/big.jar", whole));
        assertEquals(1, check(ok).classes());
        int directory = indexOf(whole, new byte[] {'P', 'K', 1, 2}, 0);
        Path cut = Zips.write(dir.resolve("bigcut.jar"),
                Map.of("lib/big.jar", Arrays.copyOf(whole, directory)));
        assertEquals(cut + "!lib/big.jar: not a whole jar or zip (no end of central directory "
                + "record in its last 65557 bytes: cut short?)", refusal(cut));
    }

    /** The offset of the {@code nth} (from 0) occurrence of {@code what} in {@code bytes}. */
    private static int indexOf(byte[] bytes, byte[] what, int nth) {
        int found = 0;
        for (int i = 0; i + what.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + what.length, what, 0, what.length) && found++ == nth) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    @Test
    void aNestedClassEntryThatIsNoClassFileIsABadInputNamedByItsFullPath(@TempDir Path dir)
            throws IOException {
        byte[] middle = Zips.bytes(Map.of("com/acme/Broken.class", new byte[] {(byte) 0xCA, (byte) 0xFE}));
        Path jar = Zips.write(dir.resolve("outer.jar"), Map.of("lib/middle.jar", middle));
        assertEquals(jar + "!lib/middle.jar!com/acme/Broken.class: not a class file (it ends inside "
                + "its header or constant pool, at byte 2)", refusal(jar));
    }

    /** A jar holding {@code n1.jar}, holding {@code n2.jar} and so on to {@code n<depth>.jar}, holding {@code innermost}. */
    private static Map<String, byte[]> nesting(int depth, byte[] innermost) {
        byte[] nest = innermost;
        for (int level = depth; level > 1; level--) {
            nest = Zips.bytes(Map.of("n" + level + ".jar", nest));
        }
        return Map.of("n1.jar", nest);
    }

    /** {@return how the jars of {@link #nesting} are named after the outermost} */
    private static String chain(int depth) {
        StringBuilder path = new StringBuilder();
        for (int level = 1; level <= depth; level++) {
            path.append("!n").append(level).append(".jar");
        }
        return path.toString();
    }

    @Test
    void jarsNestUpToTheBoundAndOneLevelMoreIsRefusedByName(@TempDir Path dir) throws IOException {
        byte[] deepest = Zips.bytes(Map.of("org/dmalib/x/Deep.class", ClassFileBytes.declaring("org/dmalib/x/Deep")));
        Path deep = Zips.write(dir.resolve("deep.jar"), nesting(DriverInputs.MAX_NESTING, deepest));
        assertEquals(List.of(deep + chain(8) + "!org/dmalib/x/Deep.class: declares "
                + "org.dmalib.x.Deep in package org.dmalib.x of org.dmalib.x (on the class path it "
                + "would share that package's package-private access)"), lines(check(deep)));
        Path tooDeep = Zips.write(dir.resolve("too-deep.jar"), nesting(DriverInputs.MAX_NESTING + 1, deepest));
        IllegalArgumentException e = assertThrows(DriverInputs.TooDeep.class, () -> check(tooDeep));
        assertEquals(tooDeep + chain(9) + ": jars nested more than 8 deep (as a zip bomb nests "
                + "them): not read", e.getMessage());
    }

    @Test
    void warsAndEarsAreArchivesNestedOrFoundUnderADirectoryInAnyCase(@TempDir Path dir)
            throws IOException {
        byte[] lib = Zips.bytes(Map.of("com/acme/L.class",
                using("com/acme/L", "org/dmalib/x/internal/Impl")));
        byte[] war = Zips.bytes(Map.of("WEB-INF/lib/lib.jar", lib,
                "WEB-INF/classes/com/acme/W.class", using("com/acme/W", "org/dmalib/x/internal/Impl")));
        Path ear = Zips.write(dir.resolve("app.ear"), Map.of("web.WAR", war));
        assertEquals(List.of(ear + "!web.WAR!WEB-INF/classes/com/acme/W.class" + SNEAKY_USES,
                ear + "!web.WAR!WEB-INF/lib/lib.jar!com/acme/L.class" + SNEAKY_USES),
                lines(check(ear)));
        Path libs = java.nio.file.Files.createDirectories(dir.resolve("libs"));
        Path found = Zips.write(libs.resolve("web.war"), Map.of("com/acme/V.class",
                using("com/acme/V", "org/dmalib/x/internal/Impl")));
        assertEquals(List.of(found + "!com/acme/V.class" + SNEAKY_USES), lines(check(libs)),
                "a war under a directory is read as its jars are");
    }

    @Test
    void aClassOrServicesFileOverTheBoundIsRefusedByNameBeforeItIsRead(@TempDir Path dir)
            throws IOException {
        DriverInputs.FileCheck none = (source, file, bytes) -> List.of();
        byte[] big = new byte[101]; // inflates from a few bytes, as a bomb's entries do
        Path jar = Zips.write(dir.resolve("bomb.jar"), Map.of("com/acme/Big.class", big));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DriverInputs.walk(List.of(jar.toString()), none, none, 100));
        assertEquals(jar + "!com/acme/Big.class: larger than 100 bytes, no class or services "
                + "file is (as a zip bomb inflates): not read", e.getMessage());
        Path nested = Zips.write(dir.resolve("outer.jar"), Map.of("lib/in.jar",
                Zips.bytes(Map.of("META-INF/services/org.dmalib.x.spi.Hook", big))));
        e = assertThrows(IllegalArgumentException.class,
                () -> DriverInputs.walk(List.of(nested.toString()), none, none, 100));
        assertEquals(nested + "!lib/in.jar!META-INF/services/org.dmalib.x.spi.Hook: larger than "
                + "100 bytes, no class or services file is (as a zip bomb inflates): not read",
                e.getMessage());
        Path classes = java.nio.file.Files.createDirectories(dir.resolve("classes/com/acme"));
        java.nio.file.Files.write(classes.resolve("Big.class"), big);
        Path root = dir.resolve("classes");
        e = assertThrows(IllegalArgumentException.class,
                () -> DriverInputs.walk(List.of(root.toString()), none, none, 100));
        assertEquals(root + "!com/acme/Big.class: larger than 100 bytes, no class or services "
                + "file is (as a zip bomb inflates): not read", e.getMessage());
        Path single = classes.resolve("Big.class");
        e = assertThrows(IllegalArgumentException.class,
                () -> DriverInputs.walk(List.of(single.toString()), none, none, 100));
        assertEquals(single + ": larger than 100 bytes, no class or services file is (as a zip "
                + "bomb inflates): not read", e.getMessage());
        byte[] exact = new byte[100]; // at the bound: read
        Path ok = Zips.write(dir.resolve("ok.jar"), Map.of("com/acme/Ok.class", exact));
        assertEquals(1, DriverInputs.walk(List.of(ok.toString()), none, none, 100).classes());
    }

    @Test
    void aFileGivenTwiceOrAlsoFoundUnderADirectoryGivenIsReadOnce(@TempDir Path dir)
            throws IOException {
        Path lib = Files.createDirectory(dir.resolve("lib"));
        Path jar = Zips.write(lib.resolve("driver.jar"), Map.of("com/acme/Z.class",
                using("com/acme/Z", "org/dmalib/x/internal/Impl")));
        Path classes = Files.createDirectories(dir.resolve("classes/com/acme")).getParent()
                .getParent();
        Path a = Files.write(classes.resolve("com/acme/A.class"),
                using("com/acme/A", "org/dmalib/x/internal/Impl"));
        // the jar twice (once spelled another way) and under its directory; the class file
        // under its directory and alone
        DriverCheck.Result r = DriverCheck.check(List.of(jar.toString(), jar.toString(),
                lib.resolve("../lib/driver.jar").toString(), lib.toString(), classes.toString(),
                a.toString()), WALLS);
        assertEquals(2, r.classes(), "each class file counts once");
        assertEquals(List.of(jar + "!com/acme/Z.class" + SNEAKY_USES,
                classes + "!com/acme/A.class" + SNEAKY_USES), lines(r));
    }
}

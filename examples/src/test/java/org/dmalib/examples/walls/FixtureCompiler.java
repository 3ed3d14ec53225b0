package org.dmalib.examples.walls;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ResolvedModule;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;

/**
 * Compiles a fixture "third-party driver" module against the dmalib modules of the running
 * boot layer, with javac's raw diagnostics ({@code -XDrawDiagnostics}: codes such as
 * {@code compiler.err.package.not.visible} instead of localized text).
 *
 * <p>{@code java.util.spi.ToolProvider} is in {@code java.base}, so the driver module (into which
 * these tests are patched) needs no read edge to {@code java.compiler}.
 */
final class FixtureCompiler {
    /** The fixture module: a driver written by someone else, not the examples module itself. */
    static final String MODULE = "com.example.thirdparty";
    static final String PACKAGE = "com.example.thirdparty";

    /** What javac said. */
    record Result(int exitCode, String output) {
        /** Returns how many {@code package.not.visible} errors name {@code pkg}. */
        long notVisible(String pkg) {
            String needle = "compiler.err.package.not.visible: " + pkg + ",";
            return output.lines().filter(l -> l.contains(needle)).count();
        }
    }

    private FixtureCompiler() {}

    /**
     * Returns the {@code requires} of the real driver module's descriptor, so that the fixture
     * asks for exactly what a driver of this repository asks for.
     */
    static Set<String> driverRequires() {
        return WallProbe.class.getModule().getDescriptor().requires().stream()
                .filter(r -> !r.modifiers().contains(ModuleDescriptor.Requires.Modifier.MANDATED))
                .map(ModuleDescriptor.Requires::name)
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /**
     * Writes the fixture module into {@code dir} and compiles it.
     *
     * @param dir an empty directory
     * @param requires the modules the fixture requires
     * @param imports the fully qualified classes the fixture imports and uses
     */
    static Result compile(Path dir, Collection<String> requires, Collection<String> imports) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src"));
        StringBuilder info = new StringBuilder("module " + MODULE + " {\n");
        requires.forEach(r -> info.append("    requires ").append(r).append(";\n"));
        info.append("}\n");
        Path moduleInfo = Files.writeString(src.resolve("module-info.java"), info);

        StringBuilder driver = new StringBuilder("package " + PACKAGE + ";\n\n");
        imports.forEach(i -> driver.append("import ").append(i).append(";\n"));
        driver.append("\n/** Reaches for what it should not. */\npublic final class Driver {\n")
                .append("    private Driver() {}\n\n    /** Uses every import. */\n")
                .append("    public static java.util.List<Class<?>> reach() {\n        return java.util.List.of(");
        driver.append(imports.stream().map(i -> i.substring(i.lastIndexOf('.') + 1) + ".class")
                .collect(Collectors.joining(", ")));
        driver.append(");\n    }\n}\n");
        Path pkgDir = Files.createDirectories(src.resolve(PACKAGE.replace('.', '/')));
        Path driverFile = Files.writeString(pkgDir.resolve("Driver.java"), driver);

        List<String> args = new ArrayList<>(List.of("-XDrawDiagnostics", "--release", "17", "-proc:none",
                "--module-path", libraryModulePath(), "-d", dir.resolve("out").toString()));
        args.add(moduleInfo.toString());
        args.add(driverFile.toString());
        ToolProvider javac = ToolProvider.findFirst("javac")
                .orElseThrow(() -> new IllegalStateException("no javac in this runtime: run the tests on a JDK"));
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            int exit = javac.run(out, out, args.toArray(new String[0]));
            out.flush();
            return new Result(exit, text.toString());
        }
    }

    /**
     * The module path of the library as the test JVM resolved it: every module of the boot layer
     * that comes from a file (the dmalib jars or classes directories, and what they need at
     * compile time, such as the {@code requires static} Error Prone annotations), except the
     * examples module itself.
     */
    private static String libraryModulePath() {
        List<String> entries = new ArrayList<>();
        boolean dmalib = false;
        for (ResolvedModule m : ModuleLayer.boot().configuration().modules()) {
            URI location = m.reference().location().orElse(null);
            if (location != null && "file".equals(location.getScheme())
                    && !m.name().equals(WallProbe.class.getModule().getName())) {
                entries.add(Path.of(location).toString());
                dmalib |= m.name().startsWith(PrivilegedPackages.ROOT);
            }
        }
        if (!dmalib) {
            throw new IllegalStateException("no dmalib module in the boot layer: are the tests on the class path? "
                    + entries);
        }
        return String.join(File.pathSeparator, entries);
    }
}

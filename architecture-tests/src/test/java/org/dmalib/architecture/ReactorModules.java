package org.dmalib.architecture;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.zip.ZipFile;

/**
 * The modules this test module depends on, found on its class path: each entry holding a
 * {@code module-info.class} (a module jar under {@code mvn verify}, a {@code target/classes}
 * directory under {@code mvn test}) is read with {@link ModuleFinder#of}, as the module system
 * would read it from a module path.
 */
final class ReactorModules {
    /** dmalib's module names start with this (module name = principal package). */
    static final String ROOT = "org.dmalib.";

    private ReactorModules() {}

    /** Returns every modular class-path entry, by module name. */
    static Map<String, ModuleReference> all() {
        Path[] modular = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(s -> !s.isEmpty())
                .map(Path::of)
                .filter(ReactorModules::isModular)
                .toArray(Path[]::new);
        return ModuleFinder.of(modular).findAll().stream().collect(Collectors.toMap(
                r -> r.descriptor().name(), r -> r, (a, b) -> a, TreeMap::new));
    }

    /** Returns the dmalib modules, by name. */
    static Map<String, ModuleReference> dmalib() {
        Map<String, ModuleReference> dmalib = new TreeMap<>(all());
        dmalib.keySet().removeIf(n -> !n.startsWith(ROOT));
        return dmalib;
    }

    /** Returns the file or directory of each named module, for a module path. */
    static List<Path> locations(Map<String, ModuleReference> modules) {
        return modules.values().stream()
                .map(r -> Path.of(r.location().orElseThrow(() -> new IllegalStateException(r + " has no location"))))
                .collect(Collectors.toList());
    }

    private static boolean isModular(Path entry) {
        if (Files.isDirectory(entry)) {
            return Files.isRegularFile(entry.resolve("module-info.class"));
        }
        if (!Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
            return false;
        }
        try (JarFile jar = new JarFile(entry.toFile(), false, ZipFile.OPEN_READ, Runtime.version())) {
            return jar.getJarEntry("module-info.class") != null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + entry, e);
        }
    }
}

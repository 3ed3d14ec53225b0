package org.dmalib.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

/**
 * Who may use each package of dmalib, read from dmalib's own module descriptors, so that it
 * cannot drift from them: a package exported to everyone is API; one exported only to named
 * modules is privileged (the cache and TLB primitives, the SMMU's programming interface, the
 * IOMMU driver SPI); one not exported is internal.
 *
 * <p>Immutable; thread-safe.
 */
final class Privileges {
    /** dmalib's module names start with this (module name = principal package). */
    static final String ROOT = "org.dmalib.";

    /**
     * How code outside dmalib may reach one of its packages.
     *
     * @param packageName the package, dotted
     * @param module the dmalib module that holds it
     * @param exported whether the module exports it at all
     * @param targets the modules it is exported to, sorted; empty when exported to everyone or
     *     not exported
     */
    record Access(String packageName, String module, boolean exported, Set<String> targets) {
        /** {@return whether any module, a driver's included, may use the package} */
        boolean isPublic() {
            return exported && targets.isEmpty();
        }

        /** {@return why a driver may not use the package, or that it may} */
        String why() {
            String where = "package " + packageName + " of " + module;
            if (isPublic()) {
                return where + " is exported to everyone";
            }
            return exported ? where + " is exported only to " + String.join(", ", targets)
                    : where + " is not exported";
        }
    }

    private final Map<String, Access> byPackage;

    private Privileges(Map<String, Access> byPackage) {
        this.byPackage = byPackage;
    }

    /**
     * Builds the map from module descriptors; those of modules outside dmalib are ignored.
     *
     * @param modules descriptors, not null
     * @return the map of every package of the dmalib modules among them
     */
    static Privileges of(Collection<ModuleDescriptor> modules) {
        Map<String, Access> map = new TreeMap<>();
        for (ModuleDescriptor d : modules) {
            if (!d.name().startsWith(ROOT)) {
                continue;
            }
            for (String p : d.packages()) {
                map.put(p, new Access(p, d.name(), false, Set.of()));
            }
            for (ModuleDescriptor.Exports e : d.exports()) {
                map.put(e.source(), new Access(e.source(), d.name(), true,
                        e.isQualified() ? new TreeSet<>(e.targets()) : Set.of()));
            }
        }
        return new Privileges(map);
    }

    /**
     * Reads the descriptors of the dmalib modules this command runs with: its module layer's
     * (the runtime image, or a module path), else those on the class path.
     *
     * @return the map
     * @throws IllegalStateException if no dmalib module descriptor can be found, or the class
     *     path's descriptors cannot be read
     * @throws UncheckedIOException if a class-path jar cannot be read
     */
    static Privileges ofRunningDmalib() {
        Module self = Privileges.class.getModule();
        List<ModuleDescriptor> found = new ArrayList<>();
        if (self.isNamed() && self.getLayer() != null) {
            for (Module m : self.getLayer().modules()) {
                found.add(m.getDescriptor());
            }
        } else {
            try {
                for (ModuleReference r : ModuleFinder.of(modularClassPath()).findAll()) {
                    found.add(r.descriptor());
                }
            } catch (FindException e) {
                throw new IllegalStateException("cannot read the module descriptors on the class "
                        + "path: " + e.getMessage(), e);
            }
        }
        Privileges p = of(found);
        if (p.byPackage.isEmpty()) {
            throw new IllegalStateException("no dmalib module descriptor on the module path or "
                    + "the class path: cannot tell dmalib's API from its privileged packages");
        }
        return p;
    }

    /**
     * {@return how outside code may reach {@code packageName}; empty if no dmalib module has it}
     *
     * @param packageName a package, dotted
     */
    Optional<Access> of(String packageName) {
        return Optional.ofNullable(byPackage.get(packageName));
    }

    /** {@return the packages every module may use, sorted} */
    List<String> publicPackages() {
        return byPackage.values().stream().filter(Access::isPublic).map(Access::packageName).toList();
    }

    /** Class-path entries that hold a module descriptor: the rest cannot be read as modules. */
    private static Path[] modularClassPath() {
        List<Path> modular = new ArrayList<>();
        String classPath = System.getProperty("java.class.path", "");
        // entries are separated by the platform's path separator, one character
        for (String entry : classPath.split(Pattern.quote(File.pathSeparator), -1)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path p = Path.of(entry);
            if (Files.isDirectory(p) ? Files.isRegularFile(p.resolve("module-info.class"))
                    : Files.isRegularFile(p) && entry.endsWith(".jar") && hasDescriptor(p)) {
                modular.add(p);
            }
        }
        return modular.toArray(Path[]::new);
    }

    private static boolean hasDescriptor(Path jar) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.getEntry("module-info.class") != null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the class-path jar " + jar, e);
        }
    }
}

package org.dmalib.examples.walls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The packages a driver must not reach, read from the module descriptors rather than listed, so
 * that a package added to a dmalib module later is covered without editing any test.
 *
 * <p>A package is <em>privileged</em> when its module is a dmalib module ({@value #ROOT}*) other
 * than the caller's and does not export it unqualified: qualified exports (cache maintenance to
 * the arch code, the arch primitives to the DMA API) and packages not exported at all
 * ({@code *.internal.*}) alike.
 *
 * <p>Stateless; safe for concurrent use.
 */
public final class PrivilegedPackages {
    /** The module name prefix (and root package) of dmalib. */
    public static final String ROOT = "org.dmalib.";

    /**
     * Classes the probes always cover, by name, so that a rename or move shows up as a failure
     * instead of silently shrinking what is probed.
     */
    public static final List<String> NAMED_CLASSES = List.of(
            "org.dmalib.hw.cache.CacheMaintenance",
            "org.dmalib.hw.internal.CoherenceFabric",
            "org.dmalib.arch.coherency.internal.cache.DcacheMaintenance",
            "org.dmalib.arch.coherency.internal.cache.ArchDmaSync");

    private PrivilegedPackages() {}

    /**
     * Returns the privileged packages visible from {@code caller}'s layer, each with its module.
     *
     * @param caller the module that must not reach them; must be named and in a layer
     * @return package name to module, sorted by package
     * @throws IllegalStateException if {@code caller} is unnamed (the class path has no walls)
     */
    public static NavigableMap<String, Module> of(Module caller) {
        ModuleLayer layer = layerOf(caller);
        NavigableMap<String, Module> privileged = new TreeMap<>();
        for (Module module : layer.modules()) {
            if (!module.getName().startsWith(ROOT) || module.equals(caller)) {
                continue;
            }
            ModuleDescriptor descriptor = module.getDescriptor();
            Set<String> everyone = unqualifiedExports(descriptor);
            for (String pkg : descriptor.packages()) {
                if (!everyone.contains(pkg)) {
                    privileged.put(pkg, module);
                }
            }
        }
        return privileged;
    }

    /**
     * Returns the packages {@code descriptor} exports to every module.
     *
     * @param descriptor a module descriptor
     * @return the unqualified exports
     */
    public static Set<String> unqualifiedExports(ModuleDescriptor descriptor) {
        return descriptor.exports().stream()
                .filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Returns the name of one top-level class of {@code pkg} in {@code module}: the first public
     * one by name that declares a public constructor or method (only a public member of a public
     * class is usable once its package is exported, so only its probes can tell an exported
     * package from a privileged one: a private member is refused in both), else the first public
     * one that declares any constructor or method, else the first by name.
     *
     * @param module a named module in a layer
     * @param pkg one of its packages
     * @return a binary class name, or empty if the package holds no class file
     */
    public static Optional<String> aClassOf(Module module, String pkg) {
        List<String> names = classesOf(module, pkg);
        return names.stream()
                .filter(n -> isPublicWith(module, n, true))
                .findFirst()
                .or(() -> names.stream().filter(n -> isPublicWith(module, n, false)).findFirst())
                .or(() -> names.stream().findFirst());
    }

    /**
     * Returns the binary names of the top-level classes of {@code pkg} in {@code module}, sorted,
     * read from the module's content (loading a class is not access-checked; using it is).
     *
     * @param module a named module in a layer
     * @param pkg one of its packages
     * @return the class names, possibly empty
     */
    public static List<String> classesOf(Module module, String pkg) {
        ResolvedModule resolved = layerOf(module).configuration().findModule(module.getName())
                .orElseThrow(() -> new IllegalStateException(module + " is not in its layer's configuration"));
        String dir = pkg.replace('.', '/') + '/';
        try (ModuleReader reader = resolved.reference().open();
             Stream<String> resources = reader.list()) {
            return resources
                    .filter(r -> r.startsWith(dir) && r.endsWith(".class"))
                    .map(r -> r.substring(dir.length(), r.length() - ".class".length()))
                    .filter(simple -> simple.indexOf('/') < 0 && simple.indexOf('$') < 0)
                    .filter(simple -> !simple.equals("package-info"))
                    .map(simple -> pkg + '.' + simple)
                    .sorted()
                    .collect(Collectors.toUnmodifiableList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + module.getName() + "/" + pkg, e);
        }
    }

    /** Whether {@code name} is a public class declaring a constructor or method (public only, or any). */
    private static boolean isPublicWith(Module module, String name, boolean publicMember) {
        Class<?> c = Class.forName(module, name);
        if (c == null || !Modifier.isPublic(c.getModifiers())) {
            return false;
        }
        return Stream.concat(Arrays.stream(c.getDeclaredConstructors()), Arrays.stream(c.getDeclaredMethods()))
                .anyMatch(m -> !publicMember || Modifier.isPublic(m.getModifiers()));
    }

    private static ModuleLayer layerOf(Module module) {
        Objects.requireNonNull(module, "module");
        if (!module.isNamed()) {
            throw new IllegalStateException(module + " is unnamed: on the class path the module system "
                    + "enforces no exports, so there are no walls to probe; run on the module path");
        }
        ModuleLayer layer = module.getLayer();
        if (layer == null) {
            throw new IllegalStateException(module.getName() + " is not in a module layer");
        }
        return layer;
    }
}

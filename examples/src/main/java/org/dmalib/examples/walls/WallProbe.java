package org.dmalib.examples.walls;

import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.NavigableMap;
import java.util.stream.Stream;

/**
 * Tries to reach one class of every privileged package by reflection, from this driver module,
 * and reports whether the module system refused each attempt.
 *
 * <p>Three probes per class, each of which a leak in the walls would let through:
 * <ol>
 *   <li>{@code setAccessible(true)} on a public member: refused with
 *       {@link java.lang.reflect.InaccessibleObjectException} unless the package is exported
 *       (or opened) to this module;
 *   <li>{@link MethodHandles#privateLookupIn}: refused with {@link IllegalAccessException} unless
 *       the package is opened to this module;
 *   <li>a plain reflective call of a public member ({@code newInstance} of a public constructor,
 *       {@code invoke} of a public static method, else {@code unreflect} of a public method):
 *       refused with {@link IllegalAccessException} unless the package is exported to this
 *       module.
 * </ol>
 * Arguments are all {@code null}: the access check comes before argument checks, so a refused
 * call runs no library code, and a call that gets through fails on its arguments instead, which
 * is reported as "NOT refused".
 *
 * <p>Stateless; safe for concurrent use.
 */
public final class WallProbe {
    private WallProbe() {}

    /**
     * How one probe of one class ended.
     *
     * <p>Thread-safety: immutable; safe to share between threads.
     *
     * @param probe the probe: {@code setAccessible}, {@code privateLookupIn} or {@code invoke}
     * @param className the class probed
     * @param refused whether access was refused
     * @param thrown the exception class the refusal (or the failure) threw, or empty
     * @param detail the exception message, or what happened instead
     */
    public record Outcome(String probe, String className, boolean refused, String thrown, String detail) {
        /**
         * Returns the report line, for example
         * {@code refused setAccessible org.dmalib.hw.cache.CacheMaintenance: <message>}.
         *
         * @return one line without line terminator
         */
        public String line() {
            return (refused ? "refused " : "NOT refused ") + probe + " " + className + ": " + detail;
        }
    }

    /**
     * Runs the probes, prints one line per probe and class, and exits with status 1 if any access
     * was not refused (2 if there was nothing to probe or no module to probe from).
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        int status = run(System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the probes from this class's module and prints the report.
     *
     * @param out where the report goes
     * @return 0 if every access was refused, 1 if any was not, 2 if nothing could be probed
     */
    public static int run(PrintStream out) {
        Module self = WallProbe.class.getModule();
        if (!self.isNamed()) {
            out.println("WallProbe runs in the unnamed module: the module system enforces no exports "
                    + "on the class path; run it with -m org.dmalib.examples/" + WallProbe.class.getName());
            return 2;
        }
        List<Outcome> outcomes = probeAll(self);
        outcomes.forEach(o -> out.println(o.line()));
        if (outcomes.isEmpty()) {
            out.println("nothing to probe: no privileged package found in " + self.getLayer());
            return 2;
        }
        return outcomes.stream().allMatch(Outcome::refused) ? 0 : 1;
    }

    /**
     * Returns the classes to probe from {@code caller}: {@link PrivilegedPackages#NAMED_CLASSES},
     * then one class of every other privileged package.
     *
     * @param caller the driver module
     * @return binary class names, in probe order
     */
    public static List<String> targets(Module caller) {
        Set<String> names = new LinkedHashSet<>(PrivilegedPackages.NAMED_CLASSES);
        Set<String> covered = new LinkedHashSet<>();
        names.forEach(n -> covered.add(n.substring(0, n.lastIndexOf('.'))));
        NavigableMap<String, Module> privileged = PrivilegedPackages.of(caller);
        for (Map.Entry<String, Module> e : privileged.entrySet()) {
            if (!covered.contains(e.getKey())) {
                PrivilegedPackages.aClassOf(e.getValue(), e.getKey()).ifPresent(names::add);
            }
        }
        return List.copyOf(names);
    }

    /**
     * Probes every class of {@link #targets(Module)}; a named class that cannot be found is
     * reported as not refused, so that the report cannot pass by losing a class.
     *
     * @param caller the driver module (this class's module when called from {@link #main})
     * @return the outcomes, class by class: those of {@link #probe} (three, or two for a class
     *     that declares no constructor or method), or one {@code load} outcome for a named class
     *     that cannot be found
     */
    public static List<Outcome> probeAll(Module caller) {
        List<Outcome> outcomes = new ArrayList<>();
        for (String name : targets(caller)) {
            Optional<Class<?>> target = load(caller, name);
            if (target.isPresent()) {
                outcomes.addAll(probe(target.get()));
            } else {
                outcomes.add(new Outcome("load", name, false, "", "class not found in any module of "
                        + caller.getLayer() + "; was it renamed? update PrivilegedPackages.NAMED_CLASSES"));
            }
        }
        return outcomes;
    }

    /**
     * Runs the three probes on one class. A class that declares no constructor or method (a
     * marker interface) has no member to make accessible or call: it gets privateLookupIn and
     * {@code accessClass} (the class-level access check of a lookup) instead.
     *
     * @param target the class to reach
     * @return the outcomes of setAccessible, privateLookupIn and invoke, in that order
     */
    public static List<Outcome> probe(Class<?> target) {
        Optional<Executable> member = publicMember(target);
        if (member.isEmpty()) {
            return List.of(privateLookupIn(target), accessClass(target));
        }
        return List.of(setAccessible(target, member.get()), privateLookupIn(target), invoke(target, member.get()));
    }

    private static Outcome accessClass(Class<?> target) {
        try {
            Class<?> accessed = MethodHandles.lookup().accessClass(target);
            return granted("accessClass", target, "accessed " + accessed);
        } catch (IllegalAccessException e) {
            return refusedBy("accessClass", target, e);
        }
    }

    private static Outcome setAccessible(Class<?> target, Executable member) {
        try {
            member.setAccessible(true);
            return granted("setAccessible", target, "made " + member + " accessible");
        } catch (InaccessibleObjectException e) {
            return refusedBy("setAccessible", target, e);
        }
    }

    private static Outcome privateLookupIn(Class<?> target) {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(target, MethodHandles.lookup());
            return granted("privateLookupIn", target, "got " + lookup);
        } catch (IllegalAccessException e) {
            return refusedBy("privateLookupIn", target, e);
        }
    }

    private static Outcome invoke(Class<?> target, Executable member) {
        Object[] nulls = new Object[member.getParameterCount()];
        try {
            Object result;
            if (member instanceof Constructor<?> c) {
                result = c.newInstance(nulls);
            } else if (Modifier.isStatic(member.getModifiers())) {
                result = ((Method) member).invoke(null, nulls);
            } else {
                result = MethodHandles.lookup().unreflect((Method) member);
            }
            return granted("invoke", target, "called " + member + ", got " + result);
        } catch (IllegalAccessException e) {
            return refusedBy("invoke", target, e);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // past the access check: the call failed on its null arguments, inside the library
            return new Outcome("invoke", target.getName(), false, e.getClass().getName(),
                    "access granted to " + member + ", then " + e);
        }
    }

    /** A public constructor, else a public static method, else a public method, else any member. */
    private static Optional<Executable> publicMember(Class<?> target) {
        Comparator<Executable> byText = Comparator.comparing(Executable::toString);
        Stream<Executable> constructors = Arrays.stream(target.getDeclaredConstructors())
                .filter(c -> Modifier.isPublic(c.getModifiers())).sorted(byText).map(c -> c);
        Stream<Executable> statics = Arrays.stream(target.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()))
                .sorted(byText).map(m -> m);
        Stream<Executable> publics = Arrays.stream(target.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers())).sorted(byText).map(m -> m);
        Stream<Executable> any = Stream.concat(Arrays.stream(target.getDeclaredConstructors()),
                Arrays.stream(target.getDeclaredMethods())).sorted(byText);
        return Stream.of(constructors, statics, publics, any)
                .flatMap(s -> s)
                .findFirst();
    }

    private static Optional<Class<?>> load(Module caller, String name) {
        String pkg = name.substring(0, name.lastIndexOf('.'));
        return caller.getLayer().modules().stream()
                .filter(m -> m.getPackages().contains(pkg))
                .<Class<?>>map(m -> Class.forName(m, name))
                .filter(c -> c != null)
                .findFirst();
    }

    private static Outcome refusedBy(String probe, Class<?> target, Exception e) {
        return new Outcome(probe, target.getName(), true, e.getClass().getName(), String.valueOf(e.getMessage()));
    }

    private static Outcome granted(String probe, Class<?> target, String what) {
        return new Outcome(probe, target.getName(), false, "", what);
    }
}

package org.dmalib.cli;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks compiled driver code against dmalib's walls, for code built where the module system
 * cannot enforce them (the class path): every class file of the inputs is read
 * ({@link ClassRefs}) and each use of a dmalib package that is not exported to everyone is a
 * finding, as is a class declared inside a dmalib package (on the class path it would share
 * that package's package-private access) and a string constant naming a privileged or internal
 * class or package (what {@code Class.forName} or a reflective lookup would take). Every
 * service provider file ({@code META-INF/services/<service>}) is read too: a service, or a
 * provider, in such a package is a finding (what {@code java.util.ServiceLoader} would load).
 * {@link DriverInputs} finds the files, in jars nested in jars as well.
 *
 * <p>Stateless; thread-safe.
 */
final class DriverCheck {
    // a dmalib name written with dots or slashes: a package, or a class in one
    private static final Pattern NAME = Pattern.compile(
            "org[./]dmalib(?:[./][A-Za-z_$][A-Za-z0-9_$]*)+");

    /** What a finding is about. */
    enum Kind {
        /** The class refers to a class of the package (a type, a member, a descriptor). */
        USES,
        /** A string constant of the class names the package or a class in it. */
        NAMES,
        /** The class is declared in the package. */
        DECLARES,
        /**
         * A services file is named for a service (an interface or class) of the package: it
         * offers providers of that service, which a {@code ServiceLoader} of dmalib's would
         * load and trust on the class path.
         */
        PROVIDES,
        /** A provider line of a services file names a class of the package, to be instantiated. */
        REGISTERS;

        /** {@return the kind as the output spells it} */
        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** {@return whether a finding of this kind is in a services file, not a class file} */
        boolean ofServicesFile() {
            return this == PROVIDES || this == REGISTERS;
        }
    }

    /**
     * One way a class file or services file reaches into dmalib past its exported API.
     *
     * @param source the input it came from, as given (or a jar found under a directory given)
     * @param file the class or services file: its path inside a jar or under a directory, each
     *     nested jar's entry name followed by {@code !} ({@code BOOT-INF/lib/a.jar!p/C.class}),
     *     or the class file itself
     * @param kind what the file does
     * @param target the dmalib class (or, for a string naming one, package) concerned
     * @param access the target's package and who may use it
     */
    record Finding(String source, String file, Kind kind, String target,
            Privileges.Access access) {
        /** {@return the finding as one line of text} */
        String line() {
            if (kind == Kind.DECLARES) {
                return where() + ": declares " + target + " in package " + access.packageName()
                        + " of " + access.module() + " (on the class path it would share that "
                        + "package's package-private access)";
            }
            return where() + ": " + kind.word() + " " + target + " (" + access.why() + ")";
        }

        /** {@return the finding as one JSON object} */
        String json() {
            List<String> to = new ArrayList<>();
            for (String t : access.targets()) {
                to.add(Json.string(t));
            }
            return "{\"source\":" + Json.string(source) + ",\"class\":" + Json.string(file)
                    + ",\"kind\":" + Json.string(kind.word()) + ",\"target\":" + Json.string(target)
                    + ",\"package\":" + Json.string(access.packageName())
                    + ",\"module\":" + Json.string(access.module())
                    + ",\"exported\":" + access.exported()
                    + ",\"exportedTo\":[" + String.join(",", to) + "]}";
        }

        /** {@return the file as messages name it: the input, then {@code !} and its path there} */
        String where() {
            return DriverCheck.where(source, file);
        }
    }

    /**
     * What a check found.
     *
     * @param classes how many class files were read, in nested jars too
     * @param servicesFiles how many services files were read, in nested jars too
     * @param findings every finding, by input, file and then kind
     */
    record Result(int classes, int servicesFiles, List<Finding> findings) {}

    private DriverCheck() {}

    /**
     * Checks every class file and services file of {@code inputs}: jars (or zips) and the jars
     * and zips nested in them, directories (searched recursively, for those files and for
     * jars) and single class files; module descriptors are skipped.
     *
     * @param inputs at least one path
     * @param walls who may use which dmalib package
     * @return the findings; none means the code uses only dmalib's exported API
     * @throws IllegalArgumentException naming the input (or the file inside it) if a path does
     *     not exist, is no jar, directory or class file, holds a file that is not what its
     *     name says (a class file, a nested jar or zip), nests jars deeper than
     *     {@link DriverInputs#MAX_NESTING}, or if the inputs hold no class or services file
     * @throws UncheckedIOException if an input cannot be read
     */
    static Result check(List<String> inputs, Privileges walls) {
        return DriverInputs.walk(inputs,
                (source, file, bytes) -> checkClass(source, file, bytes, walls),
                (source, file, bytes) -> checkServices(source, file, bytes, walls));
    }

    /** The findings of one class, in the order declares, uses (sorted), names (as they appear). */
    private static List<Finding> checkClass(String source, String classFile, byte[] bytes,
            Privileges walls) {
        List<Finding> findings = new ArrayList<>();
        ClassRefs refs = ClassRefs.parse(bytes, where(source, classFile));
        String own = packageOf(refs.declared());
        walls.of(own).ifPresent(a -> findings.add(
                new Finding(source, classFile, Kind.DECLARES, refs.declared(), a)));
        for (String type : refs.types()) {
            String p = packageOf(type);
            if (!p.equals(own)) {
                walls.of(p).filter(a -> !a.isPublic()).ifPresent(a -> findings.add(
                        new Finding(source, classFile, Kind.USES, type, a)));
            }
        }
        Set<String> named = new LinkedHashSet<>();
        for (String s : refs.strings()) {
            Matcher m = NAME.matcher(s);
            while (m.find()) {
                named.add(m.group().replace('/', '.'));
            }
        }
        for (String name : named) {
            Optional<Privileges.Access> access = walls.of(name).or(() -> walls.of(packageOf(name)));
            access.filter(a -> !a.isPublic()).ifPresent(a -> findings.add(
                    new Finding(source, classFile, Kind.NAMES, name, a)));
        }
        return findings;
    }

    /**
     * The findings of one services file: its service, then its providers in the order of
     * their lines, each once (as {@code ServiceLoader} ignores a repeated one). The file's name
     * is the service's binary name; each line holds at most one provider's, read as
     * {@code ServiceLoader} reads it: UTF-8, {@code #} and what follows it on the line ignored,
     * then surrounding white space, and lines left blank.
     */
    private static List<Finding> checkServices(String source, String servicesFile, byte[] bytes,
            Privileges walls) {
        List<Finding> findings = new ArrayList<>();
        String service = servicesFile.substring(servicesFile.lastIndexOf('/') + 1);
        walls.of(packageOf(service)).filter(a -> !a.isPublic()).ifPresent(a -> findings.add(
                new Finding(source, servicesFile, Kind.PROVIDES, service, a)));
        Set<String> providers = new LinkedHashSet<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).lines().toList()) {
            int comment = line.indexOf('#');
            // trimmed as ServiceLoader trims it: every character up to the space is white space
            String name = (comment < 0 ? line : line.substring(0, comment)).trim();
            if (!name.isEmpty()) {
                providers.add(name);
            }
        }
        for (String provider : providers) {
            walls.of(packageOf(provider)).filter(a -> !a.isPublic()).ifPresent(a -> findings.add(
                    new Finding(source, servicesFile, Kind.REGISTERS, provider, a)));
        }
        return findings;
    }

    /**
     * {@return a file as messages name it: the input, then {@code !} and the file's path inside
     * it if it has one}
     *
     * @param source the input, as given or found
     * @param file the path inside it (nested jars joined with {@code !}), or {@code source}
     */
    static String where(String source, String file) {
        return source.equals(file) ? source : source + "!" + file;
    }

    private static String packageOf(String binaryName) {
        int dot = binaryName.lastIndexOf('.');
        return dot < 0 ? "" : binaryName.substring(0, dot);
    }
}

package org.dmalib.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Checks compiled driver code against dmalib's walls, for code built where the module system
 * cannot enforce them (the class path): every class file of the inputs is read
 * ({@link ClassRefs}) and each use of a dmalib package that is not exported to everyone is a
 * finding, as is a class declared inside a dmalib package (on the class path it would share
 * that package's package-private access) and a string constant naming a privileged or internal
 * class or package (what {@code Class.forName} or a reflective lookup would take).
 *
 * <p>Stateless; thread-safe.
 */
final class DriverCheck {
    // a dmalib name written with dots or slashes: a package, or a class in one
    private static final Pattern NAME = Pattern.compile(
            "org[./]dmalib(?:[./][A-Za-z_$][A-Za-z0-9_$]*)+");
    private static final String CLASS_SUFFIX = ".class";
    // a module descriptor names modules and packages, not classes it depends on
    private static final String MODULE_INFO = "module-info.class";

    /** What a finding is about. */
    enum Kind {
        /** The class refers to a class of the package (a type, a member, a descriptor). */
        USES,
        /** A string constant of the class names the package or a class in it. */
        NAMES,
        /** The class is declared in the package. */
        DECLARES;

        /** {@return the kind as the output spells it} */
        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One way a class reaches into dmalib past its exported API.
     *
     * @param source the input it came from, as given
     * @param classFile the class file: its path inside a jar or under a directory, or the
     *     file itself
     * @param kind what the class does
     * @param target the dmalib class (or, for a string naming one, package) concerned
     * @param access the target's package and who may use it
     */
    record Finding(String source, String classFile, Kind kind, String target,
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
            return "{\"source\":" + Json.string(source) + ",\"class\":" + Json.string(classFile)
                    + ",\"kind\":" + Json.string(kind.word()) + ",\"target\":" + Json.string(target)
                    + ",\"package\":" + Json.string(access.packageName())
                    + ",\"module\":" + Json.string(access.module())
                    + ",\"exported\":" + access.exported()
                    + ",\"exportedTo\":[" + String.join(",", to) + "]}";
        }

        /** {@return the class file as messages name it: the input, then {@code !} and its entry} */
        String where() {
            return DriverCheck.where(source, classFile);
        }
    }

    /**
     * What a check found.
     *
     * @param classes how many class files were read
     * @param findings every finding, by input, class file and then kind
     */
    record Result(int classes, List<Finding> findings) {}

    private DriverCheck() {}

    /**
     * Checks every class file of {@code inputs}: jars (or zips), directories (searched
     * recursively, for class files and for jars) and single class files; module descriptors are
     * skipped.
     *
     * @param inputs at least one path
     * @param walls who may use which dmalib package
     * @return the findings; none means the code uses only dmalib's exported API
     * @throws IllegalArgumentException naming the input if a path does not exist, is no jar,
     *     directory or class file, holds a file that is no class file, or if the inputs hold no
     *     class file at all
     * @throws UncheckedIOException if an input cannot be read
     */
    static Result check(List<String> inputs, Privileges walls) {
        List<Finding> findings = new ArrayList<>();
        int classes = 0;
        for (String input : inputs) {
            Path path = Path.of(input);
            if (Files.isDirectory(path)) {
                classes += checkDirectory(input, path, walls, findings);
            } else if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(input + ": no such file or directory");
            } else if (input.endsWith(CLASS_SUFFIX)) {
                checkClass(input, input, read(path), walls, findings);
                classes++;
            } else {
                classes += checkJar(input, path, walls, findings);
            }
        }
        if (classes == 0) {
            throw new IllegalArgumentException(String.join(", ", inputs)
                    + ": no class file to check (give the compiled classes or the jar)");
        }
        return new Result(classes, List.copyOf(findings));
    }

    /** The class files under {@code dir}, then its jars (a build's libs directory), sorted. */
    private static int checkDirectory(String input, Path dir, Privileges walls,
            List<Finding> findings) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(f -> Files.isRegularFile(f) && (isJar(f.toString())
                            || (f.getFileName().toString().endsWith(CLASS_SUFFIX)
                            && !f.getFileName().toString().equals(MODULE_INFO))))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + input, e);
        }
        int classes = 0;
        for (Path f : files) {
            if (!isJar(f.toString())) {
                String name = dir.relativize(f).toString().replace(java.io.File.separatorChar, '/');
                checkClass(input, name, read(f), walls, findings);
                classes++;
            }
        }
        for (Path f : files) {
            if (isJar(f.toString())) {
                classes += checkJar(f.toString(), f, walls, findings);
            }
        }
        return classes;
    }

    private static boolean isJar(String name) {
        return name.endsWith(".jar");
    }

    private static int checkJar(String input, Path jar, Privileges walls, List<Finding> findings) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            List<ZipEntry> entries = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                ZipEntry entry = e.nextElement();
                String name = entry.getName();
                if (!entry.isDirectory() && name.endsWith(CLASS_SUFFIX)
                        && !name.equals(MODULE_INFO) && !name.endsWith("/" + MODULE_INFO)) {
                    entries.add(entry);
                }
            }
            entries.sort((a, b) -> a.getName().compareTo(b.getName()));
            for (ZipEntry entry : entries) {
                byte[] bytes;
                try (InputStream in = zip.getInputStream(entry)) {
                    bytes = in.readAllBytes();
                }
                checkClass(input, entry.getName(), bytes, walls, findings);
            }
            return entries.size();
        } catch (ZipException e) {
            throw new IllegalArgumentException(input + ": not a jar, a directory or a class file ("
                    + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + input, e);
        }
    }

    /** The findings of one class, in the order declares, uses (sorted), names (as they appear). */
    private static void checkClass(String source, String classFile, byte[] bytes,
            Privileges walls, List<Finding> findings) {
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
    }

    /** A class file as messages name it: the input, then {@code !} and the entry if it has one. */
    private static String where(String source, String classFile) {
        return source.equals(classFile) ? source : source + "!" + classFile;
    }

    private static String packageOf(String binaryName) {
        int dot = binaryName.lastIndexOf('.');
        return dot < 0 ? "" : binaryName.substring(0, dot);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}

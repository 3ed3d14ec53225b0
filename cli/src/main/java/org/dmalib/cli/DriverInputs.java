package org.dmalib.cli;

import java.io.EOFException;
import java.io.File;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Finds the files {@link DriverCheck} reads in its inputs, and names them: the class files and the
 * service provider files ({@code META-INF/services/<service>}) of jars (or wars, ears, zips), of
 * the archives nested in those at any depth up to {@link #MAX_NESTING} (Spring Boot's
 * {@code BOOT-INF/lib/*.jar}, a war's {@code WEB-INF/lib/*.jar}, an ear's wars: any entry ending in
 * {@code .jar}, {@code .war}, {@code .ear} or {@code .zip}, in any case), under directories
 * (searched recursively, for those files and for archives) and single class files; no class or
 * services file larger than {@link #MAX_FILE_BYTES} is read. A file inside an input is named by
 * its path there, each nested jar's entry name followed by {@code !} (for example
 * {@code BOOT-INF/lib/inner.jar!com/acme/X.class}); messages put the input and {@code !} before that
 * ({@link DriverCheck#where}). Nested jars are read from the enclosing jar's entry stream, never
 * written out. A file of the file system is read once per walk, however often it is given or
 * found (by its real path: a jar given twice, or given and also under a directory given).
 *
 * <p>Stateless; thread-safe (each walk keeps its counts to itself).
 */
final class DriverInputs {
    /**
     * How deep jars may nest in a jar given or found: a Spring Boot jar or a war nests one
     * level and an ear holding wars two, so 8 is room for any real layout, while a crafted chain
     * of jars in jars (each level holding an inflater and its buffers open) is refused.
     */
    static final int MAX_NESTING = 8;

    /**
     * The largest class or services file read: 64 MiB. The class-file format bounds a class by
     * its 65,535 constant-pool entries and 64 KiB of code per method, so a real one is far
     * smaller; a compressed entry that inflates past this is a zip bomb, refused before it
     * fills the heap.
     */
    static final int MAX_FILE_BYTES = 64 << 20;

    private static final String CLASS_SUFFIX = ".class";
    // a module descriptor names modules and packages, not classes it depends on
    private static final String MODULE_INFO = "module-info.class";
    private static final String SERVICES = "META-INF/services/";
    // a zip starts with a local file header, or, holding no entry, with its end record
    private static final int ZIP_LOCAL_HEADER = 0x504b0304;
    private static final int ZIP_END_RECORD = 0x504b0506;
    private static final int MAGIC_BYTES = 4;

    /** What the walk does with each file it finds: returns the file's findings. */
    @FunctionalInterface
    interface FileCheck {
        /**
         * Checks one file.
         *
         * @param source the input it came from: the path given, or a jar found under a
         *     directory given
         * @param file its path inside {@code source} (nested jars joined with {@code !}), or
         *     {@code source} itself for a class file given
         * @param bytes its contents
         * @return its findings, in order
         * @throws IllegalArgumentException naming the file if it is not what its name says
         */
        List<DriverCheck.Finding> check(String source, String file, byte[] bytes);
    }

    /** The refusal of a jar nested deeper than {@link #MAX_NESTING}; exit 2 like any bad input. */
    static final class TooDeep extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /**
         * Refuses one nested jar.
         *
         * @param where the nested jar refused, as messages name it
         */
        TooDeep(String where) {
            super(where + ": jars nested more than " + MAX_NESTING + " deep (as a zip bomb "
                    + "nests them): not read");
        }
    }

    private final FileCheck classes;
    private final FileCheck services;
    private int classCount;
    private int servicesCount;
    // the real paths of the file system's files read so far: each is read once
    private final Set<Path> read = new HashSet<>();

    private final int maxFileBytes;

    private DriverInputs(FileCheck classes, FileCheck services, int maxFileBytes) {
        this.classes = classes;
        this.services = services;
        this.maxFileBytes = maxFileBytes;
    }

    /**
     * Walks the inputs and checks every class file (module descriptors skipped) and services
     * file in them.
     *
     * @param inputs at least one path
     * @param classes checks a class file
     * @param services checks a services file
     * @return the counts of the files checked and their findings: by input, in the order of
     *     the names inside it (a directory's class and services files before its jars), a
     *     nested jar's where its entry's name sorts
     * @throws IllegalArgumentException naming the input, or the file inside it, if a path does
     *     not exist or is no jar, directory or class file, if a jar holds a file that is not
     *     what its name says (a class file, a jar or zip: {@link TooDeep} if nested too deep;
     *     a nested zip must be whole, ending with its end of central directory record),
     *     or if the inputs hold no class or services file at all
     * @throws UncheckedIOException if an input cannot be read
     */
    static DriverCheck.Result walk(List<String> inputs, FileCheck classes, FileCheck services) {
        return walk(inputs, classes, services, MAX_FILE_BYTES);
    }

    /**
     * {@link #walk(List, FileCheck, FileCheck)} with another bound on a class or services
     * file's size (for tests: the default's bombs are costly to build).
     *
     * @param inputs at least one path
     * @param classes checks a class file
     * @param services checks a services file
     * @param maxFileBytes the largest class or services file read, positive
     * @return as {@link #walk(List, FileCheck, FileCheck)}
     * @throws IllegalArgumentException as there, and naming a class or services file larger
     *     than {@code maxFileBytes}
     */
    static DriverCheck.Result walk(List<String> inputs, FileCheck classes, FileCheck services,
            int maxFileBytes) {
        DriverInputs walk = new DriverInputs(classes, services, maxFileBytes);
        List<DriverCheck.Finding> findings = new ArrayList<>();
        for (String input : inputs) {
            Path path = Path.of(input);
            if (Files.isDirectory(path)) {
                findings.addAll(walk.directory(input, path));
            } else if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(input + ": no such file or directory");
            } else if (walk.firstRead(path)) {
                // (a file given before, or found under a directory given before, is not read
                // again)
                if (input.endsWith(CLASS_SUFFIX)) {
                    walk.classCount++;
                    findings.addAll(classes.check(input, input, walk.read(input, path)));
                } else {
                    findings.addAll(walk.jar(input, path));
                }
            }
        }
        if (walk.classCount + walk.servicesCount == 0) {
            throw new IllegalArgumentException(String.join(", ", inputs)
                    + ": no class file or services file to check (give the compiled classes or "
                    + "the jar)");
        }
        return new DriverCheck.Result(walk.classCount, walk.servicesCount, List.copyOf(findings));
    }

    /** The class and services files under {@code dir}, then its jars (a build's libs), sorted. */
    private List<DriverCheck.Finding> directory(String input, Path dir) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(f -> Files.isRegularFile(f) && (isArchive(f.toString())
                            || isClass(slashed(dir, f)) || isServices(slashed(dir, f))))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + input, e);
        }
        List<DriverCheck.Finding> findings = new ArrayList<>();
        for (Path f : files) {
            String name = slashed(dir, f);
            if ((isClass(name) || isServices(name)) && !firstRead(f)) {
                continue;
            }
            if (isClass(name)) {
                classCount++;
                byte[] bytes = read(DriverCheck.where(input, name), f);
                findings.addAll(classes.check(input, name, bytes));
            } else if (isServices(name)) {
                servicesCount++;
                byte[] bytes = read(DriverCheck.where(input, name), f);
                findings.addAll(services.check(input, name, bytes));
            }
        }
        for (Path f : files) {
            if (isArchive(f.toString()) && firstRead(f)) {
                findings.addAll(jar(f.toString(), f));
            }
        }
        return findings;
    }

    /** A jar given or found: its entries by name, read with random access. */
    private List<DriverCheck.Finding> jar(String input, Path jar) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            List<ZipEntry> entries = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                ZipEntry entry = e.nextElement();
                if (!entry.isDirectory()) {
                    entries.add(entry);
                }
            }
            entries.sort((a, b) -> a.getName().compareTo(b.getName()));
            Map<String, List<DriverCheck.Finding>> byName = new TreeMap<>();
            for (ZipEntry entry : entries) {
                try (InputStream in = zip.getInputStream(entry)) {
                    entry(input, "", entry.getName(), in, 0, byName);
                }
            }
            return flatten(byName);
        } catch (ZipException e) {
            throw new IllegalArgumentException(input + ": not a jar, a directory or a class file ("
                    + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + input, e);
        }
    }

    /**
     * A jar nested {@code depth} deep, read from {@code in} (its enclosing jar's entry stream,
     * left open) in stream order; its findings sorted by entry name.
     */
    private List<DriverCheck.Finding> nested(String source, String path, InputStream in, int depth)
            throws IOException {
        String where = DriverCheck.where(source, path);
        if (depth > MAX_NESTING) {
            throw new TooDeep(where);
        }
        Tail tail = new Tail(new Unclosed(in));
        PushbackInputStream head = new PushbackInputStream(tail, MAGIC_BYTES);
        byte[] magic = head.readNBytes(MAGIC_BYTES);
        if (magic.length < MAGIC_BYTES) {
            throw new IllegalArgumentException(where + ": not a jar or zip (it ends at byte "
                    + magic.length + ", before a zip's first header)");
        }
        // big-endian: the bytes as a hex dump shows them
        int start = ByteBuffer.wrap(magic).getInt();
        if (start != ZIP_LOCAL_HEADER && start != ZIP_END_RECORD) {
            throw new IllegalArgumentException(String.format(
                    "%s: not a jar or zip (it starts 0x%08x, not 0x%08x or, empty, 0x%08x)",
                    where, start, ZIP_LOCAL_HEADER, ZIP_END_RECORD));
        }
        head.unread(magic);
        Map<String, List<DriverCheck.Finding>> byName = new TreeMap<>();
        try (ZipInputStream zip = new ZipInputStream(head)) {
            for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
                if (!entry.isDirectory()) {
                    entry(source, path + "!", entry.getName(), zip, depth, byName);
                }
            }
            // the entries' stream stops at the central directory, or where the bytes stop: only
            // the end record after the directory tells a whole zip from one cut at an entry
            tail.transferTo(OutputStream.nullOutputStream());
        } catch (ZipException | EOFException e) {
            throw new IllegalArgumentException(
                    where + ": not a jar or zip (" + e.getMessage() + ")", e);
        }
        if (!tail.holdsEndRecord()) {
            throw new IllegalArgumentException(where + ": not a whole jar or zip (no end of central"
                    + " directory record in its last " + Tail.KEPT + " bytes: cut short?)");
        }
        return flatten(byName);
    }

    /**
     * One entry of a jar {@code depth} deep whose files are named {@code prefix} and the
     * entry's name: a class or services file is checked, a jar or zip read, anything else
     * skipped; the findings go to {@code byName} under the entry's name.
     */
    private void entry(String source, String prefix, String name, InputStream in, int depth,
            Map<String, List<DriverCheck.Finding>> byName) throws IOException {
        List<DriverCheck.Finding> found;
        if (isClass(name)) {
            classCount++;
            found = classes.check(source, prefix + name, bounded(source, prefix + name, in));
        } else if (isServices(name)) {
            servicesCount++;
            found = services.check(source, prefix + name, bounded(source, prefix + name, in));
        } else if (isArchive(name)) {
            found = nested(source, prefix + name, in, depth + 1);
        } else {
            return;
        }
        // a zip may hold one name twice; a stream reads both
        byName.computeIfAbsent(name, k -> new ArrayList<>()).addAll(found);
    }

    private static List<DriverCheck.Finding> flatten(
            Map<String, List<DriverCheck.Finding>> byName) {
        List<DriverCheck.Finding> all = new ArrayList<>();
        byName.values().forEach(all::addAll);
        return all;
    }

    /** A Java archive or zip by its name: a jar, a war, an ear or a zip, in any case. */
    private static boolean isArchive(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return lower.endsWith(".jar") || lower.endsWith(".war") || lower.endsWith(".ear")
                || lower.endsWith(".zip");
    }

    /** A class file other than a module descriptor, by its slash-separated path. */
    private static boolean isClass(String path) {
        return path.endsWith(CLASS_SUFFIX) && !path.equals(MODULE_INFO)
                && !path.endsWith("/" + MODULE_INFO);
    }

    /** A file directly in a {@code META-INF/services} directory, by its slash-separated path. */
    private static boolean isServices(String path) {
        int slash = path.lastIndexOf('/');
        String dir = path.substring(0, slash + 1);
        return slash < path.length() - 1 && (dir.equals(SERVICES) || dir.endsWith("/" + SERVICES));
    }

    /** Whether {@code file} is read for the first time in this walk, by its real path. */
    private boolean firstRead(Path file) {
        try {
            return read.add(file.toRealPath());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** {@code file}'s path under {@code dir}, with slashes. */
    private static String slashed(Path dir, Path file) {
        return dir.relativize(file).toString().replace(File.separatorChar, '/');
    }

    /** {@code file}'s bytes, named {@code where} in a refusal if larger than the bound. */
    private byte[] read(String where, Path file) {
        try {
            if (Files.size(file) > maxFileBytes) {
                throw tooLarge(where);
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** An entry's bytes, read up to one past the bound, refused if it reaches that. */
    private byte[] bounded(String source, String file, InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(maxFileBytes + 1);
        if (bytes.length > maxFileBytes) {
            throw tooLarge(DriverCheck.where(source, file));
        }
        return bytes;
    }

    private IllegalArgumentException tooLarge(String where) {
        return new IllegalArgumentException(where + ": larger than " + maxFileBytes
                + " bytes, no class or services file is (as a zip bomb inflates): not read");
    }

    /**
     * A nested zip's bytes as they pass, keeping the last {@link #KEPT}: enough for the end of
     * central directory record and the longest comment after it, where {@code ZipFile} looks.
     */
    private static final class Tail extends FilterInputStream {
        // the end record: 22 bytes, then a comment of at most 65,535
        static final int KEPT = 22 + 0xffff;
        private static final int END_RECORD_BYTES = 22;
        private final byte[] ring = new byte[KEPT];
        private long seen;

        Tail(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                ring[(int) (seen++ % KEPT)] = (byte) b;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            // only the last KEPT bytes of a long read can matter; the ring index is the byte's
            // offset in the stream, modulo KEPT
            int skipped = Math.max(0, n - KEPT);
            seen += skipped;
            for (int from = off + skipped; from < off + n;) {
                int at = (int) (seen % KEPT);
                int step = Math.min(off + n - from, KEPT - at);
                System.arraycopy(b, from, ring, at, step);
                from += step;
                seen += step;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // skipped bytes must pass through the ring too
            int len = (int) Math.min(n, 8192);
            return Math.max(0, read(new byte[len], 0, len));
        }

        /**
         * Returns whether the bytes seen end with an end of central directory record, a comment
         * of its stated length, or longer, after it (ZipFile also accepts padding there).
         */
        boolean holdsEndRecord() {
            int kept = (int) Math.min(seen, KEPT);
            for (int back = END_RECORD_BYTES; back <= kept; back++) {
                // little-endian in the file: P K 5 6
                if (at(back) == 'P' && at(back - 1) == 'K' && at(back - 2) == 5
                        && at(back - 3) == 6) {
                    int comment = (at(back - 20) & 0xff) | (at(back - 21) & 0xff) << 8;
                    if (back - END_RECORD_BYTES >= comment) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** The byte {@code back} bytes before the end (1: the last). */
        private byte at(int back) {
            return ring[(int) ((seen - back) % KEPT)];
        }
    }

    /** An enclosing jar's stream, which a nested jar's reader must not close. */
    private static final class Unclosed extends FilterInputStream {
        Unclosed(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
            // the enclosing reader closes it
        }
    }
}

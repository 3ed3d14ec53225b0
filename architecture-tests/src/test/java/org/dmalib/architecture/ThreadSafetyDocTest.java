package org.dmalib.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every public type in the main sources of every module of the reactor (library, examples,
 * command and benchmarks) says in its Javadoc whether it may be used from several threads. Read
 * from the source tree this module sits in: the Javadoc is not in the class files.
 */
class ThreadSafetyDocTest {
    // dmalib has a few hundred public types; far fewer means the scan found the wrong tree
    private static final int AT_LEAST = 150;

    @Test
    void everyPublicTypeStatesItsThreadSafety() {
        List<String> missing = new ArrayList<>();
        int types = 0;
        for (Path file : mainSources()) {
            for (PublicTypeDocs.Found f : PublicTypeDocs.scan(read(file))) {
                types++;
                if (!f.statesThreadSafety()) {
                    missing.add(reactorRoot().relativize(file) + ":" + f.line() + " " + f.type());
                }
            }
        }
        assertTrue(types >= AT_LEAST, "only " + types + " public types found under " + reactorRoot());
        assertTrue(missing.isEmpty(), () -> missing.size()
                + " public types whose Javadoc does not state their thread-safety:\n  "
                + String.join("\n  ", missing));
    }

    @Test
    void theScanTellsADocumentedTypeFromAnUndocumentedOne() {
        String source = """
                package p;
                /** Immutable, so safe to share between threads. */
                @Deprecated(since = "1",
                        forRemoval = false)
                public record Told(int x) {
                    /** A nested type without the statement. */
                    public enum Untold { A }
                }
                /** Safe for use from any thread, but a field comes between. */
                final int unrelated = 0;
                public final class Orphan {}
                """;
        List<PublicTypeDocs.Found> found = PublicTypeDocs.scan(source);
        assertEquals(List.of(
                new PublicTypeDocs.Found("Told", 5, true),
                new PublicTypeDocs.Found("Untold", 7, false),
                new PublicTypeDocs.Found("Orphan", 11, false)), found);
    }

    /** The reactor's root: the parent of this module's directory, which tests run in. */
    private static Path reactorRoot() {
        Path root = Path.of("").toAbsolutePath().getParent();
        if (root == null || !Files.isRegularFile(root.resolve("pom.xml"))
                || !Files.isDirectory(root.resolve("architecture-tests"))) {
            throw new IllegalStateException("not run from architecture-tests in the reactor: "
                    + Path.of("").toAbsolutePath());
        }
        return root;
    }

    /** Every {@code .java} file under a module's {@code src/main/java}, but module and package infos. */
    private static List<Path> mainSources() {
        try (Stream<Path> modules = Files.list(reactorRoot())) {
            List<Path> roots = modules.map(m -> m.resolve("src/main/java"))
                    .filter(Files::isDirectory).sorted().collect(Collectors.toList());
            List<Path> files = new ArrayList<>();
            for (Path r : roots) {
                try (Stream<Path> walk = Files.walk(r)) {
                    walk.filter(p -> p.toString().endsWith(".java"))
                            .filter(p -> !p.endsWith("module-info.java") && !p.endsWith("package-info.java"))
                            .sorted().forEach(files::add);
                }
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.dmalib.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.util.regex.Pattern;

/**
 * Import options that keep the rogue fixtures (test classes of this module that break the rules
 * on purpose: {@code org.dmalib.rogue}, {@code ..rogue..} packages and {@code Rogue*} classes)
 * out of the rules' import, and put them in for the test that proves the rules fail.
 */
final class Fixtures {
    private static final Pattern ROGUE = Pattern.compile(".*(/rogue/|/Rogue[^/]*\\.class$).*");

    private Fixtures() {}

    /** Whether a class file location is a rogue fixture. */
    static boolean isRogue(Location location) {
        return location.matches(ROGUE);
    }

    /** Excludes the rogue fixtures (on top of {@link ImportOption.DoNotIncludeTests}). */
    static final class ExcludeRogues implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !isRogue(location);
        }
    }

    /** The library (no tests) plus the rogue fixtures, and nothing else of this module's tests. */
    static final class LibraryAndRogues implements ImportOption {
        private final ImportOption library = new ImportOption.DoNotIncludeTests();

        @Override
        public boolean includes(Location location) {
            return library.includes(location) || isRogue(location);
        }
    }
}

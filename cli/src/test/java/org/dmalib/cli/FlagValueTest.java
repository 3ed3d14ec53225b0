package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every boolean option of every command takes picocli's attached value: {@code --json=false} is
 * the same as no {@code --json}, {@code --json=true} the same as {@code --json}.
 */
class FlagValueTest {
    private static CliRun ok(String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(Main.OK, run.exit(), run::toString);
        return run;
    }

    @Test
    void plan_json_false_prints_the_table_and_json_true_the_json() {
        CliRun table = ok("plan", "--size", "4K", "--strategy", "linux", "--json=false");
        assertTrue(table.out().startsWith("Strict unmap of 4K"), table.out());
        CliRun json = ok("plan", "--size", "4K", "--strategy", "linux", "--json=true");
        assertTrue(json.out().startsWith("{\"strategy\":\"linux\""), json.out());
    }

    @Test
    void plan_no_ril_false_is_an_smmu_with_ril() {
        CliRun run = ok("plan", "--size", "4K", "--strategy", "linux", "--no-ril=false");
        assertTrue(run.out().contains("SMMU with RIL:"), run.out());
        CliRun without = ok("plan", "--size", "4K", "--strategy", "linux", "--no-ril=true");
        assertTrue(without.out().contains("SMMU without RIL:"), without.out());
    }

    @Test
    void teardown_json_false_and_no_ril_false_print_the_table_with_ril() {
        CliRun run = ok("teardown", "--size", "4M", "--strategy", "linux", "--json=false",
                "--no-ril=false");
        assertTrue(run.out().startsWith("Teardown of 4M mapped as 4K leaves (unmap(0, 4M) + "
                + "freeDomain), SMMU with RIL:"), run.out());
    }

    @Test
    void run_coherent_false_is_non_coherent_and_json_false_is_text() {
        CliRun run = ok("run", "block", "--ops", "1", "--mode", "direct", "--coherent=false",
                "--json=false");
        assertTrue(run.out().startsWith("block: 1 scatter-gather request, direct (no IOMMU), "
                + "non-coherent"), run.out());
        assertFalse(run.out().contains("0 lines cleaned"), "a non-coherent device is maintained: "
                + run.out());
    }

    @Test
    void check_driver_json_false_prints_the_summary(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("Object.class");
        try (InputStream in = Object.class.getModule().getResourceAsStream("java/lang/Object.class")) {
            Files.write(file, in.readAllBytes());
        }
        CliRun run = ok("check-driver", "--json=false", file.toString());
        assertEquals("1 class file in 1 input: no use of dmalib's privileged or internal packages.",
                run.out().strip());
    }
}

package org.dmalib.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code dmalib check-driver}: checks compiled third-party driver code (jars and the jars nested
 * in them, class directories, class files) against dmalib's walls with {@link DriverCheck}, for
 * a CI job: exit 0 when the code uses only dmalib's exported API, 1 with one line per finding
 * when it reaches a privileged or internal package.
 *
 * <p>Stateless; thread-safe.
 */
final class CheckDriverCommand {
    static final String NAME = "check-driver";

    private static final String JSON = "--json";
    private static final String PATHS = "PATH";

    private CheckDriverCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name(NAME).mixinStandardHelpOptions(true);
        spec.usageMessage().description(
                "Check compiled driver code against dmalib's walls, as a CI job would: every "
                        + "class file of the jars, directories and class files given, and of the "
                        + "jars nested in those jars (a Spring Boot jar's BOOT-INF/lib, a war's "
                        + "WEB-INF/lib: any entry ending in .jar or .zip, up to "
                        + DriverInputs.MAX_NESTING + " deep), is read, and each use of a dmalib "
                        + "package that is not exported to everyone (the cache and TLB "
                        + "maintenance primitives, the SMMU's programming interface, the IOMMU "
                        + "driver SPI, every internal package) is reported, as is a class "
                        + "declared inside a dmalib package and a string constant naming a "
                        + "privileged or internal class (what reflection would take). The module "
                        + "system enforces the walls on the module path; this checks code built "
                        + "or run on the class path, where it cannot.",
                "",
                "Who may use which package is read from dmalib's own module descriptors. "
                        + "Exit status: 0 if nothing is found, 1 if anything is, 2 on a bad "
                        + "path, a file that is no class file, a nested jar that is no zip, or "
                        + "jars nested more than " + DriverInputs.MAX_NESTING + " deep.");
        spec.addOption(OptionSpec.builder(JSON).type(boolean.class)
                .description("one JSON object per finding and line: {\"source\":...,\"class\":"
                        + "...,\"kind\":\"uses|names|declares\",\"target\":...,"
                        + "\"package\":...,\"module\":...,\"exported\":...,\"exportedTo\":[...]}; "
                        + "nothing else. \"class\" is the class file inside the source, "
                        + "each nested jar followed by ! (BOOT-INF/lib/a.jar!p/C.class)")
                .build());
        spec.addPositional(PositionalParamSpec.builder().paramLabel(PATHS).arity("1..*").required(true)
                .type(String[].class)
                .description("a jar (and the jars nested in it), a class file, or a directory "
                        + "searched recursively for class files and jars (the compiled classes, "
                        + "or a build's libs)")
                .build());
        return spec;
    }

    /**
     * Checks the paths and prints the findings.
     *
     * @param parsed the sub-command's parse result
     * @param out where the findings go
     * @param err where a missing set of dmalib descriptors is reported
     * @return {@link Main#OK} if nothing was found, {@link Main#FAILED} if anything was (or
     *     dmalib's descriptors cannot be read)
     * @throws IllegalArgumentException naming a bad path or file
     */
    static int run(ParseResult parsed, PrintWriter out, PrintWriter err) {
        String[] paths = parsed.matchedPositionalValue(0, new String[0]);
        boolean json = parsed.hasMatchedOption(JSON);
        Privileges walls;
        try {
            walls = Privileges.ofRunningDmalib();
        } catch (IllegalStateException e) {
            err.println("dmalib " + NAME + ": " + e.getMessage());
            return Main.FAILED;
        }
        DriverCheck.Result result = DriverCheck.check(List.of(paths), walls);
        for (DriverCheck.Finding f : result.findings()) {
            out.println(json ? f.json() : f.line());
        }
        if (!json) {
            summarise(result, paths.length, walls, out);
        }
        return result.findings().isEmpty() ? Main.OK : Main.FAILED;
    }

    private static void summarise(DriverCheck.Result r, int inputs, Privileges walls,
            PrintWriter out) {
        String read = String.format(Locale.ROOT, "%d class file%s in %d input%s", r.classes(),
                r.classes() == 1 ? "" : "s", inputs, inputs == 1 ? "" : "s");
        if (r.findings().isEmpty()) {
            out.println(read + ": no use of dmalib's privileged or internal packages.");
            return;
        }
        long classes = r.findings().stream().map(DriverCheck.Finding::where).distinct().count();
        out.printf(Locale.ROOT, "%s: %d finding%s in %d class%s. dmalib exports to everyone only: %s.%n",
                read, r.findings().size(), r.findings().size() == 1 ? "" : "s", classes,
                classes == 1 ? "" : "es", String.join(", ", walls.publicPackages()));
    }
}

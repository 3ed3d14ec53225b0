package org.dmalib.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code dmalib check-driver}: checks compiled third-party driver code (jars and the jars nested
 * in them, class directories, class files; their class files and services files) against
 * dmalib's walls with {@link DriverCheck}, for a CI job: exit 0 when the code uses only
 * dmalib's exported API, 1 with one line per finding when it reaches a privileged or internal
 * package.
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
                        + "WEB-INF/lib: any entry ending in .jar, .war, .ear or .zip, up to "
                        + DriverInputs.MAX_NESTING + " deep), is read, and each use of a dmalib "
                        + "package that is not exported to everyone (the cache and TLB "
                        + "maintenance primitives, the SMMU's programming interface, the IOMMU "
                        + "driver SPI, every internal package) is reported, as is a class "
                        + "declared inside a dmalib package and a string constant naming a "
                        + "privileged or internal class (what reflection would take). Each "
                        + "service provider file (META-INF/services/<service>) is read too: one "
                        + "named for a service of such a package \"provides\" it, and a provider "
                        + "line naming a class of one \"registers\" it (what "
                        + "java.util.ServiceLoader "
                        + "would load). The module system enforces the walls on the module path; "
                        + "this checks code built or run on the class path, where it cannot.",
                "",
                "Who may use which package is read from dmalib's own module descriptors. "
                        + "Exit status: 0 if nothing is found, 1 if anything is, 2 on a bad "
                        + "path, a file that is no class file, a nested jar that is no zip, "
                        + "jars nested more than " + DriverInputs.MAX_NESTING + " deep, or a "
                        + "class or services file larger than "
                        + (DriverInputs.MAX_FILE_BYTES >> 20) + " MiB.");
        spec.addOption(OptionSpec.builder(JSON).type(boolean.class)
                .description("one JSON object per finding and line: {\"source\":...,\"class\":"
                        + "...,\"kind\":\"uses|names|declares|provides|registers\",\"target\":...,"
                        + "\"package\":...,\"module\":...,\"exported\":...,\"exportedTo\":[...]}; "
                        + "nothing else. \"class\" is the class or services file inside the "
                        + "source, "
                        + "each nested jar followed by ! (BOOT-INF/lib/a.jar!p/C.class)")
                .build());
        spec.addPositional(PositionalParamSpec.builder().paramLabel(PATHS).arity("1..*")
                .required(true)
                .type(String[].class)
                .description("a jar (and the jars nested in it), a class file, or a directory "
                        + "searched recursively for class files, services files and jars (the "
                        + "compiled classes and resources, or a build's libs)")
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
        boolean json = Args.flag(parsed, JSON);
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
        String files = count(r.classes(), "class file", "class files");
        if (r.servicesFiles() > 0) {
            files += " and " + count(r.servicesFiles(), "services file", "services files");
        }
        String read = files + " in " + count(inputs, "input", "inputs");
        if (r.findings().isEmpty()) {
            out.println(read + ": no use of dmalib's privileged or internal packages.");
            return;
        }
        List<String> where = new ArrayList<>();
        long classes = distinctFiles(r, false);
        if (classes > 0) {
            where.add(count(classes, "class", "classes"));
        }
        long servicesFiles = distinctFiles(r, true);
        if (servicesFiles > 0) {
            where.add(count(servicesFiles, "services file", "services files"));
        }
        out.printf(Locale.ROOT, "%s: %s in %s. dmalib exports to everyone only: %s.%n", read,
                count(r.findings().size(), "finding", "findings"), String.join(" and ", where),
                String.join(", ", walls.publicPackages()));
    }

    /** How many class files, or services files, hold a finding. */
    private static long distinctFiles(DriverCheck.Result r, boolean servicesFiles) {
        return r.findings().stream().filter(f -> f.kind().ofServicesFile() == servicesFiles)
                .map(DriverCheck.Finding::where).distinct().count();
    }

    private static String count(long n, String one, String many) {
        return String.format(Locale.ROOT, "%d %s", n, n == 1 ? one : many);
    }
}

package org.dmalib.cli;

import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The {@code dmalib} command.
 *
 * <p>The command line is described with picocli's programmatic model, not its annotations: the
 * parser then needs no reflective access to this module (which opens nothing), and each
 * sub-command is a plain method call on the parse result.
 *
 * <p>Exit codes: 0 on success, 1 when a scenario finds something wrong or input cannot be
 * read, 2 on bad arguments or bad input (one line on standard error, no stack trace).
 *
 * <p>Thread-safety: each {@code run} builds its own parser and machines; calls from several threads
 * share nothing but the writers and reader they are given.
 */
public final class Main {
    /** Exit code for success. */
    public static final int OK = 0;
    /** Exit code when a scenario ran but reported a failure. */
    public static final int FAILED = 1;
    /** Exit code for bad arguments. */
    public static final int USAGE = 2;

    private Main() {}

    /**
     * Runs the command and exits the JVM with its exit code.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int code = run(args, new InputStreamReader(System.in, StandardCharsets.UTF_8), out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs the command without exiting; for tests and for embedding. A command that reads
     * input ({@code explain-sg}) reads the JVM's standard input, as UTF-8.
     *
     * @param args the arguments, not null
     * @param out where results go
     * @param err where errors go
     * @return the exit code
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, new InputStreamReader(System.in, StandardCharsets.UTF_8), out, err);
    }

    /**
     * Runs the command without exiting, with its input from {@code in}; for tests and for
     * embedding.
     *
     * @param args the arguments, not null
     * @param in the input of a command that reads one ({@code explain-sg}); not closed
     * @param out where results go
     * @param err where errors go
     * @return the exit code
     */
    public static int run(String[] args, Reader in, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(spec());
        cl.setOut(out);
        cl.setErr(err);
        ParseResult parsed;
        try {
            parsed = cl.parseArgs(args);
        } catch (ParameterException e) {
            err.println("dmalib: " + e.getMessage() + " (see dmalib --help)");
            return USAGE;
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return OK;
        }
        ParseResult sub = parsed.subcommand();
        if (sub == null) {
            err.println("dmalib: missing command (see dmalib --help)");
            return USAGE;
        }
        String name = sub.commandSpec().name();
        try {
            if (name.equals(DemoCommand.NAME)) {
                return DemoCommand.run(sub, out);
            }
            if (name.equals(PlanCommand.NAME)) {
                return PlanCommand.run(sub, out);
            }
            if (name.equals(ExplainSgCommand.NAME)) {
                return ExplainSgCommand.run(in, out);
            }
            if (name.equals(RunCommand.NAME)) {
                return RunCommand.run(sub, out);
            }
            if (name.equals(CheckDriverCommand.NAME)) {
                return CheckDriverCommand.run(sub, out, err);
            }
            if (name.equals(TeardownCommand.NAME)) {
                // a progress bar only on a terminal: never in a pipe, a log or a test
                return TeardownCommand.run(sub, out, err, Terminal.interactive(),
                        System::nanoTime);
            }
        } catch (IllegalArgumentException e) {
            err.println("dmalib " + name + ": " + e.getMessage());
            return USAGE;
        } catch (UncheckedIOException e) {
            err.println("dmalib " + name + ": " + e.getMessage());
            return FAILED;
        }
        err.println("dmalib: unknown command " + name);
        return USAGE;
    }

    private static CommandSpec spec() {
        CommandSpec root = CommandSpec.create()
                .name("dmalib")
                .version("dmalib " + versionOf())
                .mixinStandardHelpOptions(true);
        root.usageMessage()
                .description("DMA mapping as a library: run drivers on a simulated machine and "
                        + "see what their DMA mappings do to caches and memory, and compare how "
                        + "an SMMUv3 driver's invalidation strategies tear mappings down, "
                        + "what dma_map_sg makes of a scatterlist, and whether a compiled "
                        + "driver stays out of dmalib's privileged packages.")
                .commandListHeading("%nCommands:%n");
        root.addSubcommand(DemoCommand.NAME, DemoCommand.spec());
        root.addSubcommand(TeardownCommand.NAME, TeardownCommand.spec());
        root.addSubcommand(PlanCommand.NAME, PlanCommand.spec());
        root.addSubcommand(ExplainSgCommand.NAME, ExplainSgCommand.spec());
        root.addSubcommand(RunCommand.NAME, RunCommand.spec());
        root.addSubcommand(CheckDriverCommand.NAME, CheckDriverCommand.spec());
        return root;
    }

    private static String versionOf() {
        return Main.class.getModule().getDescriptor() == null
                ? "(unversioned)"
                : Main.class.getModule().getDescriptor().rawVersion().orElse("(unversioned)");
    }
}

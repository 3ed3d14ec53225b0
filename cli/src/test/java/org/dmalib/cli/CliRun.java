package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;

/** One run of {@link Main#run} with its outputs. */
record CliRun(int exit, String out, String err) {
    static CliRun of(String... args) {
        return withStdin("", args);
    }

    /** Runs {@code args} with {@code stdin} as the command's standard input. */
    static CliRun withStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new StringReader(stdin), new PrintWriter(out, true),
                new PrintWriter(err, true));
        return new CliRun(exit, out.toString(), err.toString());
    }

    List<String> lines() {
        return out.lines().toList();
    }

    /** Asserts exit 2 with one line on standard error and no stack trace; returns the line. */
    String oneLineError() {
        assertEquals(Main.USAGE, exit, this::toString);
        String e = err.strip();
        assertFalse(e.isEmpty(), this::toString);
        assertEquals(1, e.lines().count(), e);
        assertFalse(e.contains("Exception"), e);
        assertFalse(e.contains("\tat "), e);
        return e;
    }
}

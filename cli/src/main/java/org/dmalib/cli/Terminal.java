package org.dmalib.cli;

import java.io.Console;
import java.lang.reflect.InvocationTargetException;

/**
 * Whether the command runs on an interactive terminal, the condition for drawing a progress bar.
 * Java has no test for standard error itself; the JVM's console (standard input and output on a
 * terminal) is the nearest.
 *
 * <p>Stateless; thread-safe.
 */
final class Terminal {
    private Terminal() {}

    /**
     * Returns whether the JVM has an interactive console. Up to JDK 21 that is
     * {@code System.console() != null}; from JDK 22 a console exists even in a pipe, and its
     * {@code isTerminal()} (a public method this {@code --release 17} build cannot name) tells.
     *
     * @return true on a terminal
     */
    // the null test is right on JDK 17 to 21; isTerminal() covers 22 and newer
    @SuppressWarnings("SystemConsoleNull")
    static boolean interactive() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // JDK 17 to 21: a console is a terminal
        } catch (IllegalAccessException | InvocationTargetException e) {
            return false; // cannot tell: no progress bar
        }
    }
}

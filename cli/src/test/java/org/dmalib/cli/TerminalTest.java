package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class TerminalTest {
    @Test
    void a_jvm_whose_streams_are_pipes_is_not_on_a_terminal() {
        // the test JVM is forked with its standard streams piped to the build: no console
        // (JDK 17 to 21) or one that is no terminal (22 and newer); no progress bar there
        assertFalse(Terminal.interactive());
    }
}

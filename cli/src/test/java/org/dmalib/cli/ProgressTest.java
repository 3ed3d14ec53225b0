package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private final StringWriter err = new StringWriter();
    private final AtomicLong now = new AtomicLong(5_000_000_000L);

    private Progress progress(boolean enabled) {
        return new Progress(new PrintWriter(err, true), enabled, now::get);
    }

    @Test
    void nothing_is_drawn_in_the_first_second() {
        Progress p = progress(true);
        now.addAndGet(Progress.THRESHOLD_NANOS);
        p.update("map", 1, 4);
        p.finish();
        assertEquals("", err.toString());
    }

    @Test
    void a_run_longer_than_a_second_draws_a_bar_and_erases_it() {
        Progress p = progress(true);
        now.addAndGet(Progress.THRESHOLD_NANOS + 1);
        p.update("map 1G", 1, 4);
        assertEquals("\r[#######.......................]  25% map 1G", err.toString());
        p.update("map 1G", 4, 4);
        assertTrue(err.toString().endsWith("\r[##############################] 100% map 1G"), err.toString());
        p.finish();
        assertTrue(err.toString().endsWith("\r" + " ".repeat(45) + "\r"), err.toString());
    }

    @Test
    void a_disabled_bar_never_draws() {
        Progress p = progress(false);
        now.addAndGet(10 * Progress.THRESHOLD_NANOS);
        p.update("map", 2, 4);
        p.finish();
        assertEquals("", err.toString());
        Progress none = Progress.none(new PrintWriter(err, true));
        none.update("map", 2, 4);
        assertEquals("", err.toString());
    }

    @Test
    void the_bar_is_flushed_as_it_is_drawn_and_as_it_is_erased() {
        // a buffered standard error must show the bar at once, not when the command ends
        PrintWriter buffered = new PrintWriter(new BufferedWriter(err, 1 << 16), false);
        Progress p = new Progress(buffered, true, now::get);
        now.addAndGet(Progress.THRESHOLD_NANOS + 1);
        p.update("map 1G", 2, 4);
        assertEquals("\r[###############...............]  50% map 1G", err.toString());
        p.finish();
        assertTrue(err.toString().endsWith("\r" + " ".repeat(45) + "\r"), err.toString());
    }
}

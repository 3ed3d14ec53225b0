package org.dmalib.cli;

import java.io.PrintWriter;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on standard error, redrawn in place with {@code \r}. It appears only on
 * a run that has taken more than {@link #THRESHOLD_NANOS} and only when enabled — when standard
 * error is a terminal and the output is not JSON — so short runs, pipes, logs and tests see
 * nothing. {@link #finish} erases it.
 *
 * <p>Not thread-safe: one command's thread draws it.
 */
final class Progress {
    /** A run shows progress once it has taken longer than this: one second. */
    static final long THRESHOLD_NANOS = 1_000_000_000L;

    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final boolean enabled;
    private final LongSupplier clock;
    private final long start;
    private int drawnWidth;

    /**
     * Returns a bar that starts its clock now.
     *
     * @param err where the bar is drawn
     * @param enabled whether it may be drawn at all (a terminal, not JSON)
     * @param clock nanoseconds, as {@link System#nanoTime}
     */
    Progress(PrintWriter err, boolean enabled, LongSupplier clock) {
        this.err = err;
        this.enabled = enabled;
        this.clock = clock;
        this.start = clock.getAsLong();
    }

    /** Returns a bar that never draws. */
    static Progress none(PrintWriter err) {
        return new Progress(err, false, () -> 0);
    }

    /**
     * Redraws the bar at {@code done} of {@code total}, if enabled and past the threshold.
     *
     * @param label what is running, a few words
     * @param done units done: 0 to {@code total}
     * @param total units in all: positive
     */
    void update(String label, long done, long total) {
        if (!enabled || clock.getAsLong() - start <= THRESHOLD_NANOS) {
            return;
        }
        int filled = (int) (WIDTH * done / total);
        String line = String.format("\r[%s%s] %3d%% %s", "#".repeat(filled),
                ".".repeat(WIDTH - filled), 100 * done / total, label);
        // pad over a longer previous line
        int width = line.length();
        err.print(line + " ".repeat(Math.max(0, drawnWidth - width)));
        err.flush();
        drawnWidth = Math.max(drawnWidth, width);
    }

    /** Erases the bar if it was drawn. */
    void finish() {
        if (drawnWidth > 0) {
            err.print("\r" + " ".repeat(drawnWidth) + "\r");
            err.flush();
            drawnWidth = 0;
        }
    }
}

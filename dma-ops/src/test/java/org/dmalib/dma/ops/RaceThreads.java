package org.dmalib.dma.ops;

import java.util.List;

/** Threads for race tests: each runs a body and records what it throws instead of dying. */
final class RaceThreads {
    private RaceThreads() {}

    /** A body that may throw checked exceptions, run on a thread of its own. */
    interface Body {
        void run() throws Exception;
    }

    /**
     * Starts a daemon thread running {@code body}; anything it throws goes into {@code failures}
     * (a list safe for concurrent adds), for the test to assert empty after joining.
     */
    static Thread start(Body body, List<Throwable> failures) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}

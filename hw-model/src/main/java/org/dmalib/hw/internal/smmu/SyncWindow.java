package org.dmalib.hw.internal.smmu;

import org.dmalib.hw.internal.jfr.SmmuTrace;

/**
 * The counters at an SMMU's previous CMD_SYNC, so that each CMD_SYNC can report what happened
 * since: the Flight Recorder's sync and IOTLB-miss events. The baselines advance at every sync,
 * recorded or not, so an event always covers exactly one sync window.
 *
 * <p>Not thread-safe: the owning SMMU serialises access.
 */
final class SyncWindow {
    private final SmmuStats stats;
    private long commands;
    private long translations;
    private long microTlbMisses;
    private long mainTlbMisses;
    private long walks;
    private long walkCacheMisses;
    private long pteReads;

    SyncWindow(SmmuStats stats) {
        this.stats = stats;
    }

    /** Closes the window at a completed CMD_SYNC (first doubleword {@code d0}) and opens the next. */
    void close(long d0) {
        SmmuTrace.sync(d0, stats.commands - commands);
        long allTranslations = stats.allTranslations();
        if (allTranslations != translations) {
            SmmuTrace.iotlbMisses(allTranslations - translations,
                    stats.microTlbMisses - microTlbMisses, stats.mainTlbMisses - mainTlbMisses,
                    stats.walks - walks, stats.walkCacheMisses - walkCacheMisses,
                    stats.pteReads - pteReads);
        }
        commands = stats.commands + 1; // this CMD_SYNC: counted once it has completed
        translations = allTranslations;
        microTlbMisses = stats.microTlbMisses;
        mainTlbMisses = stats.mainTlbMisses;
        walks = stats.walks;
        walkCacheMisses = stats.walkCacheMisses;
        pteReads = stats.pteReads;
    }
}

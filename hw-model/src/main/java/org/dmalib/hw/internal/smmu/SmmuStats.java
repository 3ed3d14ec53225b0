package org.dmalib.hw.internal.smmu;

import java.util.concurrent.atomic.LongAdder;
import org.dmalib.hw.SmmuCounters;

/**
 * An SMMU's live counters: plain fields, because every update happens under the SMMU's lock,
 * except {@link #replayedHits}, counted by translations replayed without it.
 *
 * <p>Not thread-safe on its own: the owning SMMU serialises access to the plain fields;
 * {@link #replayedHits} is safe for concurrent use.
 */
final class SmmuStats {
    /**
     * Micro-TLB hits replayed without the SMMU's lock: each is one translation and one
     * micro-TLB hit, added to those two counters wherever they are read.
     */
    final LongAdder replayedHits = new LongAdder();
    long commands;
    long tlbiNhVa;
    long tlbiNhVaa;
    long tlbiNhAsid;
    long tlbiNhAll;
    long cfgiSte;
    long cfgiCd;
    long cmdSyncs;
    long otherCommands;
    long commandErrors;
    long translations;
    long microTlbHits;
    long microTlbMisses;
    long mainTlbHits;
    long mainTlbMisses;
    long walkCacheHits;
    long walkCacheMisses;
    long walks;
    long pteReads;
    long configFetches;
    long faults;
    long eventsRecorded;
    long eventsLost;
    long tlbEntriesInvalidated;

    /** Returns the translations so far, replayed ones included. */
    long allTranslations() {
        return translations + replayedHits.sum();
    }

    SmmuCounters snapshot() {
        long replayed = replayedHits.sum(); // once, so that both counters include the same hits
        return new SmmuCounters(commands, tlbiNhVa, tlbiNhVaa, tlbiNhAsid, tlbiNhAll, cfgiSte,
                cfgiCd, cmdSyncs, otherCommands, commandErrors, translations + replayed,
                microTlbHits + replayed,
                microTlbMisses, mainTlbHits, mainTlbMisses, walkCacheHits, walkCacheMisses, walks,
                pteReads, configFetches, faults, eventsRecorded, eventsLost,
                tlbEntriesInvalidated);
    }
}

package org.dmalib.hw.internal.smmu;

import org.dmalib.hw.SmmuCounters;

/**
 * An SMMU's live counters: plain fields, because every update happens under the SMMU's lock.
 *
 * <p>Not thread-safe on its own: the owning SMMU serialises access.
 */
final class SmmuStats {
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

    SmmuCounters snapshot() {
        return new SmmuCounters(commands, tlbiNhVa, tlbiNhVaa, tlbiNhAsid, tlbiNhAll, cfgiSte,
                cfgiCd, cmdSyncs, otherCommands, commandErrors, translations, microTlbHits,
                microTlbMisses, mainTlbHits, mainTlbMisses, walkCacheHits, walkCacheMisses, walks,
                pteReads, configFetches, faults, eventsRecorded, eventsLost,
                tlbEntriesInvalidated);
    }
}

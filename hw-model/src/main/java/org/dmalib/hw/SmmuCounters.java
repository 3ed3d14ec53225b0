package org.dmalib.hw;

/**
 * A snapshot of an SMMU's event counters, all since it was built.
 *
 * <p>Immutable, so safe for concurrent use.
 *
 * @param commands commands consumed from the command queue (successfully executed)
 * @param tlbiNhVa {@code CMD_TLBI_NH_VA} commands (each one, range or not)
 * @param tlbiNhVaa {@code CMD_TLBI_NH_VAA} commands
 * @param tlbiNhAsid {@code CMD_TLBI_NH_ASID} commands
 * @param tlbiNhAll {@code CMD_TLBI_NH_ALL} and {@code CMD_TLBI_NSNH_ALL} commands
 * @param cfgiSte {@code CMD_CFGI_STE} and {@code CMD_CFGI_STE_RANGE} (incl. CFGI_ALL) commands
 * @param cfgiCd {@code CMD_CFGI_CD} and {@code CMD_CFGI_CD_ALL} commands
 * @param cmdSyncs {@code CMD_SYNC} commands
 * @param otherCommands other legal commands (prefetches)
 * @param commandErrors commands refused with a command error (CERROR_ILL or CERROR_ABT)
 * @param translations translations requested by devices on translated streams (per 4 KiB piece)
 * @param microTlbHits translations found in the micro-TLB
 * @param microTlbMisses micro-TLB lookups that missed
 * @param mainTlbHits translations found in the main TLB
 * @param mainTlbMisses main TLB lookups that missed
 * @param walkCacheHits walks that started below the first level thanks to the walk cache
 * @param walkCacheMisses walks that found nothing in the walk cache
 * @param walks page-table walks
 * @param pteReads translation table descriptors read from memory
 * @param configFetches STEs and CDs read from memory into the configuration cache
 * @param faults events raised (faults and bad configurations)
 * @param eventsRecorded event records written to the in-memory event queue
 * @param eventsLost events that could not be written (queue disabled or full, CD.R clear, or a
 *     C_BAD_STREAMID with CR2.RECINVSID clear)
 * @param tlbEntriesInvalidated TLB and walk-cache entries dropped by invalidation commands
 */
public record SmmuCounters(
        long commands,
        long tlbiNhVa,
        long tlbiNhVaa,
        long tlbiNhAsid,
        long tlbiNhAll,
        long cfgiSte,
        long cfgiCd,
        long cmdSyncs,
        long otherCommands,
        long commandErrors,
        long translations,
        long microTlbHits,
        long microTlbMisses,
        long mainTlbHits,
        long mainTlbMisses,
        long walkCacheHits,
        long walkCacheMisses,
        long walks,
        long pteReads,
        long configFetches,
        long faults,
        long eventsRecorded,
        long eventsLost,
        long tlbEntriesInvalidated) {

    /** Every count zero: what an SMMU that did nothing reports, and any {@code x.minus(x)}. */
    public static final SmmuCounters ZERO = new SmmuCounters(
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * Returns the counts that happened between {@code earlier} and this snapshot.
     *
     * @param earlier a snapshot of the same SMMU taken before this one
     * @return this minus {@code earlier}, field by field
     */
    public SmmuCounters minus(SmmuCounters earlier) {
        return new SmmuCounters(
                commands - earlier.commands,
                tlbiNhVa - earlier.tlbiNhVa,
                tlbiNhVaa - earlier.tlbiNhVaa,
                tlbiNhAsid - earlier.tlbiNhAsid,
                tlbiNhAll - earlier.tlbiNhAll,
                cfgiSte - earlier.cfgiSte,
                cfgiCd - earlier.cfgiCd,
                cmdSyncs - earlier.cmdSyncs,
                otherCommands - earlier.otherCommands,
                commandErrors - earlier.commandErrors,
                translations - earlier.translations,
                microTlbHits - earlier.microTlbHits,
                microTlbMisses - earlier.microTlbMisses,
                mainTlbHits - earlier.mainTlbHits,
                mainTlbMisses - earlier.mainTlbMisses,
                walkCacheHits - earlier.walkCacheHits,
                walkCacheMisses - earlier.walkCacheMisses,
                walks - earlier.walks,
                pteReads - earlier.pteReads,
                configFetches - earlier.configFetches,
                faults - earlier.faults,
                eventsRecorded - earlier.eventsRecorded,
                eventsLost - earlier.eventsLost,
                tlbEntriesInvalidated - earlier.tlbEntriesInvalidated);
    }
}

package org.dmalib.iommu.smmu;

/**
 * The driver's counters since probe: what it wrote to the command queue, by kind, and what it
 * read from the event queue. Compare with the hardware's own
 * {@link org.dmalib.hw.SmmuCounters}, which count what the SMMU executed.
 *
 * <p>Immutable, so safe for concurrent use.
 *
 * @param tlbiNhVa {@code CMD_TLBI_NH_VA} commands submitted (range or not)
 * @param tlbiNhAsid {@code CMD_TLBI_NH_ASID} commands submitted
 * @param tlbiNhAll {@code CMD_TLBI_NH_ALL} and {@code CMD_TLBI_NSNH_ALL} commands submitted
 * @param cfgi {@code CMD_CFGI_*} commands submitted
 * @param cmdSyncs {@code CMD_SYNC} commands submitted
 * @param batches writes of {@code CMDQ_PROD}: one per batch of at most 64 commands (plus sync)
 * @param commandErrors command errors recovered (the bad command replaced by a CMD_SYNC)
 * @param eventsDrained event records read from the event queue
 * @param eventOverflows event-queue overflows acknowledged (events lost by the SMMU)
 */
public record SmmuDriverCounters(
        long tlbiNhVa,
        long tlbiNhAsid,
        long tlbiNhAll,
        long cfgi,
        long cmdSyncs,
        long batches,
        long commandErrors,
        long eventsDrained,
        long eventOverflows) {

    /** Every count zero: what a driver that did nothing reports, and any {@code x.minus(x)}. */
    public static final SmmuDriverCounters ZERO =
            new SmmuDriverCounters(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * Returns the counts between {@code earlier} and this snapshot.
     *
     * @param earlier an earlier snapshot of the same driver
     * @return this minus {@code earlier}, field by field
     */
    public SmmuDriverCounters minus(SmmuDriverCounters earlier) {
        return new SmmuDriverCounters(tlbiNhVa - earlier.tlbiNhVa,
                tlbiNhAsid - earlier.tlbiNhAsid, tlbiNhAll - earlier.tlbiNhAll,
                cfgi - earlier.cfgi, cmdSyncs - earlier.cmdSyncs, batches - earlier.batches,
                commandErrors - earlier.commandErrors, eventsDrained - earlier.eventsDrained,
                eventOverflows - earlier.eventOverflows);
    }
}

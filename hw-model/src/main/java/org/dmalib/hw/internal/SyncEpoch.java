package org.dmalib.hw.internal;

/**
 * How many times a translation stage has completed an invalidation that may have withdrawn
 * translations it handed out: for an SMMU, the register writes whose command-queue consumption
 * completed a CMD_SYNC, and the CMD_SYNCs that signal their completion by an MSI write.
 *
 * <p>This is how a burst honours SMMUv3's rule that a CMD_SYNC completes only after every
 * transaction that used a translation it invalidated. A {@link StreamPort} reads the epoch
 * before it translates and moves its data only if the epoch still has that value, checked in
 * the same {@link CoherenceFabric} transaction that moves the data; the stage advances it with
 * {@link #advance}, a transaction of its own, before the completing register write returns
 * and before any other completion signal (a CMD_SYNC's MSI) can be seen.
 * So no burst moves data with a translation that a completed CMD_SYNC withdrew: one that
 * straddles the completion translates again (as a seqlock reader retries).
 *
 * <p>Thread-safety: safe for concurrent use; advanced only holding the fabric's monitor, read
 * anywhere.
 */
public final class SyncEpoch {
    // written only holding the fabric's monitor; volatile for the read before a translation
    private volatile long value;

    /** Creates an epoch at 0. */
    public SyncEpoch() {
        // value starts at 0
    }

    /** {@return the current value; it only grows} */
    public long value() {
        return value;
    }

    /**
     * Advances the epoch in a transaction of {@code fabric} of its own (the fabric is one
     * monitor): a {@link CoherenceFabric#moveIfCurrent} either completes before it or sees the
     * new value and moves nothing.
     *
     * @param fabric the memory system the stage's bursts move data in
     */
    @SuppressWarnings("NonAtomicVolatileUpdate") // one writer at a time: the fabric's monitor
    public void advance(CoherenceFabric fabric) {
        synchronized (fabric) {
            value++;
        }
    }
}

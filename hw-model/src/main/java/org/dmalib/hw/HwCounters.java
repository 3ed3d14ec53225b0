package org.dmalib.hw;

/**
 * A snapshot of the machine's event counters, all since the machine was built.
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param cacheHits line-sized pieces of CPU accesses found in the CPU's own cache
 * @param cacheMisses line-sized pieces of CPU accesses not found in the CPU's own cache, which
 *     allocated a line: filled from RAM or another cache, or, for a store or zero that covers
 *     the whole line, allocated without reading anything
 * @param writebacks dirty lines written to RAM by eviction or snoop (not by maintenance)
 * @param linesCleaned clean-to-PoC instructions executed (DC CVAC)
 * @param linesInvalidated invalidate-to-PoC instructions executed (DC IVAC)
 * @param linesCleanInvalidated clean+invalidate-to-PoC instructions executed (DC CIVAC)
 * @param barriers completing barriers executed (DSB)
 * @param dmaBytesRead bytes DMA masters read successfully
 * @param dmaBytesWritten bytes DMA masters wrote successfully
 * @param dmaAborts DMA accesses that were refused
 */
public record HwCounters(
        long cacheHits,
        long cacheMisses,
        long writebacks,
        long linesCleaned,
        long linesInvalidated,
        long linesCleanInvalidated,
        long barriers,
        long dmaBytesRead,
        long dmaBytesWritten,
        long dmaAborts) {

    /** Every count zero: what a machine that did nothing reports, and any {@code x.minus(x)}. */
    public static final HwCounters ZERO = new HwCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /**
     * Returns the counts that happened between {@code earlier} and this snapshot.
     *
     * @param earlier a snapshot of the same machine taken before this one
     * @return this minus {@code earlier}, field by field
     */
    public HwCounters minus(HwCounters earlier) {
        return new HwCounters(
                cacheHits - earlier.cacheHits,
                cacheMisses - earlier.cacheMisses,
                writebacks - earlier.writebacks,
                linesCleaned - earlier.linesCleaned,
                linesInvalidated - earlier.linesInvalidated,
                linesCleanInvalidated - earlier.linesCleanInvalidated,
                barriers - earlier.barriers,
                dmaBytesRead - earlier.dmaBytesRead,
                dmaBytesWritten - earlier.dmaBytesWritten,
                dmaAborts - earlier.dmaAborts);
    }
}

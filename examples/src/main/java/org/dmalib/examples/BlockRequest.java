package org.dmalib.examples;

import java.util.Objects;
import org.dmalib.iommu.api.ScatterList;

/**
 * One block I/O request as the block layer hands it to {@link BlockDriver}: an operation, the
 * first sector, and the caller's buffers as a scatterlist (segments of any length and offset
 * whose lengths add up to whole sectors).
 *
 * <p>Immutable and thread-safe.
 *
 * @param op read (disk to buffers) or write (buffers to disk)
 * @param sector the first sector, not negative
 * @param segments the buffers, 1 to {@value BlockDevice#MAX_SEGMENTS} segments, a whole
 *     number of sectors in total
 */
public record BlockRequest(Op op, long sector, ScatterList segments) {
    /**
     * The direction of a request.
     *
     * <p>Thread-safety: immutable constants; safe to use from any thread.
     */
    public enum Op {
        /** Sectors to memory: the device writes the buffers. */
        READ,
        /** Memory to sectors: the device reads the buffers. */
        WRITE
    }

    /**
     * Validates the request.
     *
     * @param op read (disk to buffers) or write (buffers to disk), not null
     * @param sector the first sector, not negative
     * @param segments the buffers, not null: 1 to {@value BlockDevice#MAX_SEGMENTS} segments
     *     whose lengths add up to a multiple of {@value BlockDevice#SECTOR} bytes
     * @throws NullPointerException if {@code op} or {@code segments} is null
     * @throws IllegalArgumentException naming the bad value
     */
    public BlockRequest {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(segments, "segments");
        if (sector < 0) {
            throw new IllegalArgumentException("sector=" + sector + " must not be negative");
        }
        if (segments.size() < 1 || segments.size() > BlockDevice.MAX_SEGMENTS) {
            throw new IllegalArgumentException("segments.size=" + segments.size()
                    + " must be from 1 to " + BlockDevice.MAX_SEGMENTS);
        }
        if (segments.totalLength() % BlockDevice.SECTOR != 0) {
            throw new IllegalArgumentException("segments.totalLength=" + segments.totalLength()
                    + " must be a multiple of " + BlockDevice.SECTOR);
        }
    }

    /** {@return the sectors the request covers} */
    public long sectorCount() {
        return segments.totalLength() / BlockDevice.SECTOR;
    }
}

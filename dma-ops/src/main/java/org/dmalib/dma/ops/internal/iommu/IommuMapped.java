package org.dmalib.dma.ops.internal.iommu;

import java.util.List;
import java.util.Objects;
import org.dmalib.dma.ops.internal.direct.Chunks;
import org.dmalib.iommu.api.DmaSegment;

/**
 * What a streaming mapping or coherent allocation over an IOMMU holds: its IOVA ranges (one,
 * but one per segment for an untrusted device's scatterlist), the CPU-side chunks syncs work on
 * (bounced chunks name their bounce buffer), and the DMA segments the device was given.
 * Immutable and thread-safe.
 *
 * @param pieces the IOVA ranges, at least one
 * @param chunks the CPU side, one per input segment, in order
 * @param dmaSegments the DMA segments, in order, at least one
 */
public record IommuMapped(List<Piece> pieces, Chunks chunks, List<DmaSegment> dmaSegments) {
    /** The {@code bounceSlot} of a piece that is not bounced. */
    public static final long NO_BOUNCE = -1;

    /**
     * One IOVA range and, if it maps a bounce buffer, the granule-aligned slot run it covers.
     *
     * <p>Thread-safety: immutable; safe to share between threads.
     *
     * @param iova the range's first byte, granule aligned
     * @param iovaLength the bytes the IOVA was allocated and mapped with
     * @param bounceSlot the first byte of the reserved bounce run, or {@link #NO_BOUNCE}
     * @param bounceSpan the bytes of the reserved bounce run (0 if none)
     */
    public record Piece(long iova, long iovaLength, long bounceSlot, long bounceSpan) {}

    /**
     * Copies the lists ({@link Chunks} are immutable).
     *
     * @param pieces the IOVA ranges, at least one; not null, no null element
     * @param chunks the CPU side, one per input segment, in order; not null, at least one chunk
     * @param dmaSegments the DMA segments, in order, at least one; not null, no null element
     * @throws IllegalArgumentException if a list or the chunks are empty
     */
    public IommuMapped {
        pieces = List.copyOf(pieces);
        Objects.requireNonNull(chunks, "chunks");
        dmaSegments = List.copyOf(dmaSegments);
        if (pieces.isEmpty() || chunks.count() == 0 || dmaSegments.isEmpty()) {
            throw new IllegalArgumentException("a mapping has at least one range, chunk and segment");
        }
    }
}

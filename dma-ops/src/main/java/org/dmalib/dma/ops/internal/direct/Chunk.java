package org.dmalib.dma.ops.internal.direct;

/**
 * One physically contiguous piece of a mapping: where the CPU's data is and, if it is bounced,
 * where the bounce buffer is. Immutable and thread-safe.
 *
 * @param phys physical address of the original buffer
 * @param bounce physical address of the bounce buffer, or {@link #NOT_BOUNCED}
 * @param size bytes, positive
 */
public record Chunk(long phys, long bounce, long size) {
    /** The {@code bounce} value of a chunk the device reaches directly. */
    public static final long NOT_BOUNCED = -1;

    /**
     * Validates the chunk.
     *
     * @param phys physical address of the original buffer, not negative
     * @param bounce physical address of the bounce buffer, not negative, or {@link #NOT_BOUNCED}
     * @param size bytes, positive
     * @throws IllegalArgumentException naming the bad value
     */
    public Chunk {
        if (phys < 0) {
            throw new IllegalArgumentException(String.format("phys=0x%x must not be negative", phys));
        }
        if (bounce < NOT_BOUNCED) {
            throw new IllegalArgumentException(String.format("bounce=0x%x is not an address", bounce));
        }
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive");
        }
    }

    /** {@return whether the device reaches this chunk through a bounce buffer} */
    public boolean bounced() {
        return bounce != NOT_BOUNCED;
    }

    /**
     * {@return the physical address the device reaches: on the direct path the DMA address
     * ({@code phys_to_dma} is the identity here)}
     */
    public long devicePhys() {
        return bounced() ? bounce : phys;
    }

    /**
     * Returns the part of this chunk from {@code offset} for {@code length} bytes.
     *
     * @param offset bytes from the start, from 0 to {@code size - 1}
     * @param length bytes, from 1 to {@code size - offset}
     * @return the sub-chunk, bounced at the same offset if this chunk is bounced
     */
    public Chunk slice(long offset, long length) {
        if (offset < 0 || length <= 0 || offset > size - length) {
            throw new IllegalArgumentException(
                    "offset=" + offset + " length=" + length + " is outside size=" + size);
        }
        return new Chunk(phys + offset, bounced() ? bounce + offset : NOT_BOUNCED, length);
    }
}

package org.dmalib.hw.internal.smmu;

import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.internal.CoherenceFabric;

/**
 * The SMMU's own memory accesses (table walks, STE/CD fetches, queue reads and writes). A
 * non-coherent access reads and writes RAM only, so a descriptor still dirty in a CPU cache is
 * invisible to it; a coherent one goes through the coherence fabric like a coherent DMA master
 * and sees dirty CPU lines and in-flight write-backs.
 *
 * <p>Not thread-safe: the owning SMMU serialises access (the scratch buffer is shared).
 */
final class SmmuBus {
    private final CoherenceFabric fabric;
    private final PhysicalMemory memory;
    // one event record: the largest single access the SMMU makes
    private final byte[] scratch = new byte[32];

    SmmuBus(CoherenceFabric fabric) {
        this.fabric = fabric;
        this.memory = fabric.memory();
    }

    /** Returns whether {@code [paddr, paddr + length)} lies in memory. */
    boolean inRange(long paddr, int length) {
        return paddr >= 0 && paddr <= memory.size() - length;
    }

    /** Reads the aligned little-endian word at {@code paddr}, which must be in range. */
    long readLong(long paddr, boolean coherent) {
        if (!coherent) {
            return memory.readLong(paddr);
        }
        fabric.coherentRead(paddr, scratch, 0, Long.BYTES);
        long v = 0;
        for (int i = Long.BYTES - 1; i >= 0; i--) {
            v = (v << 8) | (scratch[i] & 0xffL); // little-endian
        }
        return v;
    }

    /**
     * Reads {@code dst.length} consecutive aligned words from {@code paddr} (in range) in one
     * access: one snoop of the line instead of one per word.
     */
    void readLongs(long paddr, long[] dst, boolean coherent) {
        if (!coherent) {
            for (int w = 0; w < dst.length; w++) {
                dst[w] = memory.readLong(paddr + (long) w * Long.BYTES);
            }
            return;
        }
        fabric.coherentRead(paddr, scratch, 0, dst.length * Long.BYTES);
        for (int w = 0; w < dst.length; w++) {
            long v = 0;
            for (int i = Long.BYTES - 1; i >= 0; i--) {
                v = (v << 8) | (scratch[w * Long.BYTES + i] & 0xffL); // little-endian
            }
            dst[w] = v;
        }
    }

    /** Writes {@code length} (4 or 8) little-endian bytes of {@code value} at {@code paddr}. */
    void write(long paddr, long value, int length, boolean coherent) {
        if (!coherent && length == Long.BYTES) {
            memory.writeLong(paddr, value);
            return;
        }
        for (int i = 0; i < length; i++) {
            scratch[i] = (byte) (value >>> (8 * i)); // little-endian
        }
        if (coherent) {
            fabric.coherentWrite(paddr, scratch, 0, length);
        } else {
            memory.write(paddr, scratch, 0, length);
        }
    }
}

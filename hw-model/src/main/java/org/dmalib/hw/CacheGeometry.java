package org.dmalib.hw;

/**
 * The shape of each CPU's private data cache.
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param lineSize bytes per cache line: a power of two from 16 to 256
 * @param capacity bytes of data the cache holds: a multiple of {@code lineSize * ways}
 * @param ways associativity: a power of two, at least 1 ({@code capacity / lineSize} makes the
 *     cache fully associative)
 */
public record CacheGeometry(int lineSize, int capacity, int ways) {
    /**
     * A Cortex-A76-like L1 data cache: 64 KiB, 4-way set associative, 64-byte lines
     * (Arm Cortex-A76 TRM, L1 memory system).
     */
    public static final CacheGeometry DEFAULT = new CacheGeometry(64, 64 * 1024, 4);

    /**
     * Validates the geometry.
     *
     * @param lineSize bytes per cache line: a power of two from 16 to 256
     * @param capacity bytes of data the cache holds: positive, a power-of-two number of sets of
     *     {@code lineSize * ways} bytes
     * @param ways associativity: a power of two, at most {@code capacity / lineSize}
     * @throws IllegalArgumentException naming the bad value if a field is out of range or the
     *     capacity does not divide into whole sets
     */
    public CacheGeometry {
        if (lineSize < 16 || lineSize > 256 || Integer.bitCount(lineSize) != 1) {
            throw new IllegalArgumentException(
                    "lineSize=" + lineSize + " must be a power of two from 16 to 256");
        }
        if (ways < 1 || Integer.bitCount(ways) != 1) {
            throw new IllegalArgumentException("ways=" + ways + " must be a power of two");
        }
        // ways > capacity / lineSize first: it keeps lineSize * ways within capacity, so the
        // int product below (and in sets()) cannot wrap to zero or a negative set size
        if (capacity <= 0 || ways > capacity / lineSize || capacity % (lineSize * ways) != 0
                || Integer.bitCount(capacity / (lineSize * ways)) != 1) {
            throw new IllegalArgumentException("capacity=" + capacity
                    + " must be a power-of-two number of sets of lineSize*ways="
                    + (long) lineSize * ways);
        }
    }

    /** {@return the number of sets: {@code capacity / (lineSize * ways)}} */
    public int sets() {
        return capacity / (lineSize * ways);
    }
}

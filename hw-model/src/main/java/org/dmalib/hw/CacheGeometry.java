package org.dmalib.hw;

/**
 * The shape of each CPU's private data cache.
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param lineSize bytes per cache line: a power of two from 16 to 256
 * @param capacity bytes of data the cache holds: positive, a power-of-two number of sets of
 *     {@code lineSize * ways} bytes, at most {@value #MAX_LINES} lines ({@code capacity /
 *     lineSize})
 * @param ways associativity: a power of two, from 1 to {@code capacity / lineSize} (which makes
 *     the cache fully associative)
 */
public record CacheGeometry(int lineSize, int capacity, int ways) {
    /**
     * The most lines a cache may hold: 2^18, 16 MiB of 64-byte lines, eight times the largest
     * private L2 of an Arm core (2 MiB, Neoverse V2). The model allocates its tag, LRU and dirty
     * arrays for every line up front, for every CPU, so a larger cache is refused here rather
     * than failing with {@link OutOfMemoryError} at {@link Machine#create}.
     */
    public static final int MAX_LINES = 1 << 18;

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
     *     {@code lineSize * ways} bytes, at most {@link #MAX_LINES} lines
     * @param ways associativity: a power of two, at most {@code capacity / lineSize}
     * @throws IllegalArgumentException naming the bad value if a field is out of range, the
     *     capacity does not divide into whole sets or holds more than {@link #MAX_LINES} lines
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
        if (capacity / lineSize > MAX_LINES) {
            throw new IllegalArgumentException("capacity=" + capacity + " is " + capacity / lineSize
                    + " lines of " + lineSize + " bytes: at most " + MAX_LINES + " (2^18) lines");
        }
    }

    /** {@return the number of sets: {@code capacity / (lineSize * ways)}} */
    public int sets() {
        return capacity / (lineSize * ways);
    }
}

package org.dmalib.hw;

/**
 * What to build: memory size, CPU count and cache shape.
 *
 * <p>Thread-safety: immutable; safe to share between threads.
 *
 * @param memorySize bytes of RAM: positive, a multiple of 4 KiB, at most 2^48 (48-bit physical
 *     addresses; sparse, so GiBs are cheap)
 * @param cpus number of CPUs, 1 to 64
 * @param cache geometry of every CPU's private data cache
 */
public record MachineConfig(long memorySize, int cpus, CacheGeometry cache) {
    /**
     * Validates the configuration.
     *
     * @param memorySize bytes of RAM: positive, a multiple of 4 KiB, at most 2^48
     * @param cpus number of CPUs, 1 to 64
     * @param cache geometry of every CPU's private data cache, not null
     * @throws IllegalArgumentException naming the bad value
     * @throws NullPointerException if {@code cache} is null
     */
    public MachineConfig {
        if (memorySize <= 0 || (memorySize & (PhysicalMemory.FRAME_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("memorySize=" + memorySize
                    + " must be positive and a multiple of " + PhysicalMemory.FRAME_SIZE);
        }
        if (memorySize > PhysicalMemory.MAX_SIZE) { // refused here, not by Machine.create
            throw new IllegalArgumentException("memorySize=" + memorySize
                    + " is too large: at most 2^48 (48-bit physical addresses)");
        }
        if (cpus < 1 || cpus > 64) {
            throw new IllegalArgumentException("cpus=" + cpus + " must be from 1 to 64");
        }
        java.util.Objects.requireNonNull(cache, "cache");
    }

    /**
     * Returns a configuration with {@code memorySize} bytes of RAM, two CPUs and the
     * {@linkplain CacheGeometry#DEFAULT default cache}.
     *
     * @param memorySize bytes of RAM, as for the canonical constructor
     * @return the configuration
     */
    public static MachineConfig of(long memorySize) {
        return new MachineConfig(memorySize, 2, CacheGeometry.DEFAULT);
    }
}

package org.dmalib.dma.ops;

/**
 * What a device does with a DMA-API debug report ({@code CONFIG_DMA_API_DEBUG}, reference §7),
 * chosen per device in {@link DeviceParams#debug()}.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum DebugMode {
    /**
     * Every check runs; a report is recorded ({@link DmaDevice#debugReports()}), traced, and
     * thrown as a {@link DmaDebugException} before the call changes anything. The default: in
     * tests a driver bug fails the test at the line that made it.
     */
    THROW,
    /**
     * Every check runs; a report is recorded, traced and logged as a warning (Linux's
     * {@code WARN}), and the call goes on where that is safe: with the mapping the registry
     * found, with the direction the driver passed. A call that has nothing to act on (an unmap
     * of an address never mapped) is refused all the same, with the report in the exception.
     */
    WARN,
    /**
     * No check runs and nothing is tracked beyond what unmapping needs (the mapping registry):
     * what a benchmark or a production build wants. Calls that would break the model's own
     * structures (unmap twice, unmap of an address never mapped) are still refused with a
     * {@link DmaUsageException}.
     */
    OFF
}

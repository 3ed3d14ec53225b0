package org.dmalib.examples;

/**
 * How {@link CopyEngineDriver} orders its steps: the correct driver, and two realistic bugs that
 * the safe API cannot rule out because they are about <em>when</em> the CPU touches a mapped
 * buffer.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum DriverVariant {
    /** Fill the source, map both buffers, start, unmap, read the destination. */
    CORRECT,
    /**
     * Missing clean for the device: the driver writes the source <em>after</em> mapping it and
     * does not call sync-for-device, so its data sits dirty in the CPU cache and the device
     * reads stale RAM.
     */
    MISSING_SYNC_FOR_DEVICE,
    /**
     * Missing invalidate for the CPU: the driver reads the destination before unmapping it (or
     * syncing it for the CPU), so the CPU hits the lines it cached when it zeroed the buffer
     * and never sees what the device wrote to RAM.
     */
    MISSING_SYNC_FOR_CPU
}

package org.dmalib.hw;

/**
 * How a DMA master's stream is attached to the memory system.
 *
 * <p>The firmware fact behind Linux's {@code dma-coherent} property: it decides whether the
 * DMA API must do CPU cache maintenance for the device.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum Coherency {
    /** The master snoops CPU caches on reads and invalidates stale copies on writes (ACE-Lite). */
    COHERENT,
    /** The master reads and writes RAM only; CPU caches must be cleaned and invalidated for it. */
    NON_COHERENT
}

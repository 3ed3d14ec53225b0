/**
 * Cache maintenance instructions of the simulated CPU: clean, invalidate and clean+invalidate
 * of one data cache line by address to the Point of Coherency, and the barrier that completes
 * them.
 *
 * <p>Exported to {@code org.dmalib.arch.coherency} only. Drivers never maintain caches
 * themselves: they ask the DMA API, which asks the architecture code, which issues these. The
 * module system is the linker that keeps these symbols local (Russell King, 2015: "the cache
 * and TLB primitives should be local so that driver writers cannot touch them").
 */
package org.dmalib.hw.cache;

/**
 * Cache-maintenance primitives and the arch DMA sync hooks: privileged, exported to
 * {@code org.dmalib.dma.ops} only.
 *
 * <p>Why drivers may not call these: maintenance done in the wrong order, on the wrong range or
 * without its barrier corrupts data silently, and only the DMA API knows the ownership of a
 * buffer at each step. Linux's {@code arch/arm/mm/dma.h} says of the same functions: "These are
 * private to the dma-mapping API. Do not use directly." Here the module system enforces it.
 *
 * <p>Vocabulary: <em>clean</em> writes dirty lines back, <em>invalidate</em> discards lines,
 * <em>clean+invalidate</em> does both; all to the Point of Coherency. Never "flush" for data
 * caches.
 */
package org.dmalib.arch.coherency.internal.cache;

/**
 * dma-direct: the cache maintenance and bounce copies of the no-IOMMU DMA path, over the arm64
 * primitives of {@code org.dmalib.arch.coherency.internal.cache}. Not exported: the public
 * package {@code org.dmalib.dma.ops} delegates here and never touches a primitive itself.
 *
 * <p>Order of steps, as in Linux's {@code kernel/dma/direct.h} and {@code kernel/dma/swiotlb.c}:
 * for the device, bounce copy-in first, then clean; for the CPU, invalidate first, then bounce
 * copy-out. A list gets the per-entry instructions without a barrier and one barrier at the end.
 */
package org.dmalib.dma.ops.internal.direct;

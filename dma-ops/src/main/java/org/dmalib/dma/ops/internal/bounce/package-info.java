/**
 * The swiotlb-like bounce pool of the direct DMA path: bookkeeping of 2 KiB slots in low
 * memory. Not exported: only {@code org.dmalib.dma.ops} reserves and releases slots; the copies
 * and the cache maintenance of bounce buffers are done by {@code internal.direct}.
 */
package org.dmalib.dma.ops.internal.bounce;

/**
 * dma-iommu ({@code drivers/iommu/dma-iommu.c}, reference §2): the DMA API over an IOMMU domain.
 * Per domain an IOVA space ({@link org.dmalib.dma.ops.internal.iommu.IommuDma}); per device the
 * map, unmap and teardown steps ({@link org.dmalib.dma.ops.internal.iommu.IommuDmaOps}). Not
 * exported: the public package {@code org.dmalib.dma.ops} delegates here and translates the
 * exceptions; this package never depends on the public package.
 *
 * <p>Order of steps, as in Linux: for the device, CPU cache maintenance first (through
 * {@link org.dmalib.dma.ops.internal.direct.DirectOps}, one barrier per call), then IOVA and
 * page tables (no TLB work); for the CPU, cache maintenance first, then page-table unmap with
 * gathered invalidations, one sync, and the IOVA freed.
 */
package org.dmalib.dma.ops.internal.iommu;

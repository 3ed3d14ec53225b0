/**
 * The IOVA allocator of the DMA-over-IOMMU path, after Linux's {@code drivers/iommu/iova.c}:
 * {@link org.dmalib.dma.ops.internal.iova.IovaTree} (the rbtree part: top-down first fit from
 * cached positions, one lock), {@link org.dmalib.dma.ops.internal.iova.IovaDomain} (the tree
 * behind per-CPU magazine caches and a depot: {@code alloc_iova_fast}/{@code free_iova_fast}) and
 * {@link org.dmalib.dma.ops.internal.iova.DeviceIova} (dma-iommu's per-device 32-bit-first
 * policy). Not exported: the public package {@code org.dmalib.dma.ops} will use it and translate
 * its exceptions; this package depends on nothing of dmalib.
 *
 * <p>Units: pfns (granule numbers) and sizes in granules everywhere except {@code DeviceIova},
 * which speaks bytes.
 */
package org.dmalib.dma.ops.internal.iova;

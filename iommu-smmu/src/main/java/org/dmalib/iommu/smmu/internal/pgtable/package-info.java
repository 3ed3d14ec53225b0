/**
 * The ARM LPAE stage-1 io-pgtable of the SMMUv3 driver (Linux {@code io-pgtable-arm.c},
 * reference linux-dma-iommu.md §4): page tables in simulated RAM, written through a CPU's
 * write-back cache, read by the SMMU model's walker. Not exported: only the driver in
 * {@code org.dmalib.iommu.smmu} builds and uses tables.
 *
 * <p>Names follow the kernel's, with a format prefix: {@code ArmLpae*}/{@code Lpae*} for the
 * format, {@code Pte*} for descriptor access. Vocabulary: data caches are <em>cleaned</em>
 * (never "flushed"); TLBs get {@code flushWalk} (synchronous, for removed tables) and
 * {@code addPage} (leaf, gathered).
 */
package org.dmalib.iommu.smmu.internal.pgtable;

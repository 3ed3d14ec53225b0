/**
 * The programming interface of the simulated Arm SMMUv3: memory-mapped registers
 * ({@link org.dmalib.hw.smmu.SmmuProgramming}) and the architected encodings of the structures
 * the driver builds in RAM (stream table entries, context descriptors, translation table
 * descriptors, command and event queue entries), with their sources.
 *
 * <p>Meant for the SMMUv3 driver only ({@code org.dmalib.iommu.smmu}): device drivers never
 * program the IOMMU, they ask the DMA API.
 */
package org.dmalib.hw.smmu;

/**
 * The SMMUv3 command queue as the driver drives it: 16-byte command encoding (range TLBI
 * included), Linux-style batching of 64 commands, CMD_SYNC completion by polling CONS, and
 * recovery from command errors. Not exported: only the driver package uses it.
 */
package org.dmalib.iommu.smmu.internal.cmdq;

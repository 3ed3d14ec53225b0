/**
 * TLB-maintenance primitives: the IOTLB gather, the invalidation command plans and their
 * planners, and the cost model that prices them. Not for driver writers: exported only to the
 * DMA API (and to the SMMU driver once it exists).
 */
package org.dmalib.iommu.api.internal.tlb;

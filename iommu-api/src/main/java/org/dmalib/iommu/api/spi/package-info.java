/**
 * The IOMMU driver SPI: what a driver implements ({@link org.dmalib.iommu.api.spi.IommuDomainOps},
 * {@link org.dmalib.iommu.api.spi.FlushOps}) and the factory that puts the IOMMU core over it
 * ({@link org.dmalib.iommu.api.spi.IommuDomains}). Exported only to the DMA API and to IOMMU
 * drivers.
 */
package org.dmalib.iommu.api.spi;

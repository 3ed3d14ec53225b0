/**
 * Third-party-style example drivers and device models that use only dmalib's public API: a DMA
 * copy engine ({@link org.dmalib.examples.CopyEngine}, {@link
 * org.dmalib.examples.CopyEngineDriver}), a NIC with RX and TX descriptor rings ({@link
 * org.dmalib.examples.Nic}, {@link org.dmalib.examples.NicDriver}) and a block device taking
 * scatter-gather requests ({@link org.dmalib.examples.BlockDevice}, {@link
 * org.dmalib.examples.BlockDriver}), each driver with a knob that seeds one realistic bug
 * ({@link org.dmalib.examples.DriverVariant}, {@link org.dmalib.examples.DriverMistake}).
 *
 * <p>The scenarios ({@link org.dmalib.examples.CopyEngineScenario}, {@link
 * org.dmalib.examples.NicScenario}, {@link org.dmalib.examples.BlockScenario}) are the
 * composition roots: they build the machine, put the device directly on memory or behind an
 * SMMUv3 (the only code here that touches {@code org.dmalib.iommu.smmu}), run the driver and
 * report what the hardware counted. Device models use only {@code org.dmalib.hw}; drivers only
 * {@code org.dmalib.dma.ops}.
 */
package org.dmalib.examples;

/**
 * The driver-facing DMA API: Linux's {@code dma_map_single}, {@code dma_map_sg},
 * {@code dma_sync_*}, {@code dma_unmap_*} and {@code dma_alloc_coherent}, over dma-direct with
 * swiotlb bouncing or over an IOMMU domain (dma-iommu), on the simulated machine of
 * {@code org.dmalib.hw}. Each device's path is chosen once, when it is created.
 *
 * <p>The composition root assembles the pieces, once per machine and once per device:
 *
 * <pre>{@code
 * Machine machine = Machine.create(MachineConfig.of(64L << 20));
 * PageAllocator memory = PageAllocator.create(machine, 1L << 20);   // 1 MiB bounce pool
 * DmaPort port = machine.attach(7, Coherency.NON_COHERENT);         // to the device model
 * DmaDevice dev = DmaDevice.create(memory, DeviceParams.of(port));  // to the driver
 * }</pre>
 *
 * <p>Behind an SMMU, the IOMMU driver's tables come from a region the allocator gives up:
 *
 * <pre>{@code
 * long tables = memory.reserveRegion(16L << 20, TableMemory.MAX_BLOCK);
 * SmmuV3 smmu = SmmuV3.probe(machine.addSmmu(SmmuConfig.gem5()), machine.cpu(0),
 *         TableMemory.of(machine, tables, 16L << 20));
 * IommuDomain domain = smmu.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, 4096, 48);
 * smmu.attach(domain, 7);
 * DmaPort port = machine.attach(7, Coherency.NON_COHERENT, smmu.smmu());
 * DmaDevice dev = DmaDevice.create(memory, DeviceParams.of(port),
 *         IommuDmaDomain.create(memory, domain));
 * }</pre>
 *
 * <p>Conventions of the whole package:
 * <ol>
 *   <li>Every call that can do cache maintenance or bounce copies takes the {@link
 *       org.dmalib.hw.Cpu} that runs it: that CPU issues the instructions and its cache carries
 *       the copies.
 *   <li>A mapping is a handle, unmapped exactly once: {@link org.dmalib.dma.ops.ScopedDmaMapping}
 *       for try-with-resources, {@link org.dmalib.dma.ops.DmaMapping} for long-lived ones, whose
 *       leak {@link org.dmalib.dma.ops.DmaDevice#detach()} reports.
 *   <li>Results must be used ({@code @CheckReturnValue} on the package): a driver that ignores a
 *       mapping does not compile under Error Prone.
 *   <li>Bad input throws {@link org.dmalib.dma.ops.DmaUsageException} naming the value
 *       ({@code name=value}) and changes nothing; a mapping the system cannot make throws
 *       {@link org.dmalib.dma.ops.DmaMappingException} and changes nothing.
 * </ol>
 *
 * <p>Why drivers never see cache maintenance: done in the wrong order, on the wrong range or
 * without its barrier, it corrupts data silently; only the DMA API knows who owns a buffer at
 * each step ({@code arch/arm/mm/dma.h}: "These are private to the dma-mapping API. Do not use
 * directly."). This package delegates to its non-exported {@code internal} packages.
 */
@CheckReturnValue
package org.dmalib.dma.ops;

import com.google.errorprone.annotations.CheckReturnValue;

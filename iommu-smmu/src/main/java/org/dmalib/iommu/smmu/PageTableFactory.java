package org.dmalib.iommu.smmu;

import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.spi.FlushOps;

/**
 * Allocates a domain's page table ({@code alloc_io_pgtable_ops}): {@link PageTableAdapter#allocate}
 * in production; tests may pass another to observe the driver.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
interface PageTableFactory {
    /**
     * Allocates an empty table.
     *
     * @param granule 4, 16 or 64 KiB
     * @param ias input address bits
     * @param oas output address bits
     * @param coherentWalk whether the SMMU's walks snoop CPU caches (IDR0.COHACC)
     * @param cpu the CPU that writes the tables
     * @param memory where tables come from
     * @param flushOps the domain's TLB callbacks
     * @return the table
     */
    DomainPageTable allocate(int granule, int ias, int oas, boolean coherentWalk, Cpu cpu,
            TableMemory memory, FlushOps flushOps);
}

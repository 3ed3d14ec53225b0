package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.PageSizes;
import org.junit.jupiter.api.Test;

/**
 * A domain the IOMMU core refuses after the driver built its page table: the table goes back to
 * the table memory and the ASID to the allocator, so nothing of the failed call stays.
 */
class AllocateDomainFailureTest {
    @Test
    void a_refused_domain_returns_its_table_and_its_asid() {
        // the real table, but claiming a smallest page of 1 GiB: the core refuses it for a
        // 25-bit input space, after the table was allocated
        PageTableFactory claimingHugePages = (g, ias, oas, coh, cpu, mem, flush) -> {
            DomainPageTable real = Rig.PAGE_TABLES.allocate(g, ias, oas, coh, cpu, mem, flush);
            return (DomainPageTable) Proxy.newProxyInstance(DomainPageTable.class.getClassLoader(),
                    new Class<?>[] {DomainPageTable.class}, (proxy, method, args) -> {
                        if (method.getName().equals("pageSizes")) {
                            return PageSizes.of(1L << 30);
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        };
        Rig rig = new Rig(SmmuConfig.gem5(), claimingHugePages);
        long before = rig.tables.bytesInUse();
        for (int i = 0; i < 300; i++) { // more than the 256 ASIDs of an 8-bit space, if leaked
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> rig.driver.allocateDomain(DomainType.UNMANAGED,
                            InvalidationStrategy.LINUX, 4096, 25));
            assertTrue(e.getMessage().contains("inputAddressBits=25"), e::getMessage);
            assertEquals(before, rig.tables.bytesInUse(), "the table went back");
        }
    }
}

package org.dmalib.iommu.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/** The SPI's default {@link FlushOps#addPages}: each page in address order through addPage. */
class FlushOpsTest {
    @Test
    void the_default_run_is_each_page_in_address_order() {
        List<Long> pages = new ArrayList<>();
        FlushOps ops = new FlushOps() {
            @Override
            public void flushAll() {
                throw new AssertionError("flushAll");
            }

            @Override
            public void flushWalk(long iova, long size, long granule) {
                throw new AssertionError("flushWalk");
            }

            @Override
            public void addPage(IotlbGather gather, long iova, long granule) {
                assertEquals(0x2000, granule);
                pages.add(iova);
            }
        };
        ops.addPages(new IotlbGather(), 0x10000, 0x2000, 3);
        assertEquals(List.of(0x10000L, 0x12000L, 0x14000L), pages);
    }
}

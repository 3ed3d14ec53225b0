package org.dmalib.iommu.api.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/**
 * A map that fails part-way and whose undo fails too: the map's failure is what the caller
 * sees, with the undo's attached as suppressed (before, the undo's replaced it), on the core's
 * {@code map} and {@code mapRuns} and on {@link IommuDomain}'s default {@code mapRuns}.
 */
class CoreDomainUndoFailureTest {
    private static final long SZ_4K = 1L << 12;
    private static final long SZ_2M = 1L << 21;
    private static final long SZ_1G = 1L << 30;
    private static final PageSizes PAGES = PageSizes.of(SZ_4K, SZ_2M, SZ_1G);

    private final RuntimeException mapFault = new IllegalStateException("map fault");
    private final RuntimeException unmapFault = new IllegalStateException("unmap fault");

    /** Fails, changing nothing, the mapPages call at {@code failAt}; every unmap throws after unmapping. */
    private final class FailingOps extends DelegatingDomainOps {
        private final long failAt;

        FailingOps(long failAt) {
            super(new FakePageTable(SZ_4K, InvalidationStrategy.LINUX, true));
            this.failAt = failAt;
        }

        @Override
        public long mapPages(long iova, long paddr, long pgsize, long pgcount, IommuProt prot) {
            if (iova == failAt) {
                throw mapFault;
            }
            return super.mapPages(iova, paddr, pgsize, pgcount, prot);
        }

        @Override
        public long unmapPages(long iova, long pgsize, long pgcount, IotlbGather gather) {
            super.unmapPages(iova, pgsize, pgcount, gather);
            throw unmapFault;
        }
    }

    private GatheringDomain core(long failAt) {
        return IommuDomains.create(new FailingOps(failAt), PAGES, DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, 48);
    }

    private void assertMapFaultWithUndoSuppressed(Runnable call) {
        RuntimeException thrown = assertThrows(RuntimeException.class, call::run);
        assertSame(mapFault, thrown);
        assertArrayEquals(new Throwable[] {unmapFault}, thrown.getSuppressed());
    }

    @Test
    void the_cores_map_keeps_its_failure_when_the_undo_fails() {
        // a 4K page below 2 MiB, then a 2 MiB block: two driver calls, the second fails
        GatheringDomain d = core(SZ_2M);
        assertMapFaultWithUndoSuppressed(() -> d.map(SZ_2M - SZ_4K, SZ_1G - SZ_4K,
                SZ_4K + SZ_2M, IommuProt.READ_WRITE));
    }

    @Test
    void the_cores_map_runs_keeps_its_failure_when_the_undo_fails() {
        // discontiguous pages: one driver call each, the third fails
        GatheringDomain d = core(0x3000);
        assertMapFaultWithUndoSuppressed(() -> d.mapRuns(0x1000,
                new long[] {0x10_0000, 0x20_0000, 0x30_0000, 0x40_0000},
                new long[] {SZ_4K, SZ_4K, SZ_4K, SZ_4K}, 4, IommuProt.READ_WRITE));
    }

    @Test
    void the_default_map_runs_keeps_its_failure_when_the_undo_fails() {
        IommuDomain plain = new ForwardingDomain(core(0x3000));
        assertMapFaultWithUndoSuppressed(() -> plain.mapRuns(0x1000,
                new long[] {0x10_0000, 0x20_0000, 0x30_0000},
                new long[] {SZ_4K, SZ_4K, SZ_4K}, 3, IommuProt.READ_WRITE));
    }
}

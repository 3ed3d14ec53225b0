package org.dmalib.bench;

import org.dmalib.arch.coherency.internal.cache.ArchDmaSync;
import org.dmalib.arch.coherency.internal.cache.DcacheMaintenance;
import org.dmalib.dma.ops.DeviceParams;
import org.dmalib.dma.ops.internal.iommu.IommuDma;
import org.dmalib.dma.ops.internal.iova.IovaDomain;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;

/**
 * The scatterlist benchmark's "framework" baseline: a scatterlist of whole 4 KiB pages mapped page
 * by page, as a DMA layer without list support does it (one {@code dma_map_page} per entry), with
 * the TLB flushed after every page: the 2015 arm DMA-IOMMU glue over drivers that flushed in
 * their map callback, which Russell King and Robin Murphy argued against (map must not pay for
 * a TLB flush).
 *
 * <p>Map, per segment: {@code arch_sync_dma_for_device} with its own barrier (clean to PoC,
 * DSB), one IOVA page from an IOVA allocator set up as dma-iommu's (the same {@link IovaDomain}
 * with its per-CPU caches, the same 32-bit limit, the SMMU MSI window reserved; so the allocator
 * is not what differs), {@link IommuDomain#map} of that one page, then the TLB flush after the
 * page, through the one flush the public domain API offers, {@link IommuDomain#flushIotlbAll}
 * ({@code iommu_flush_iotlb_all}: one {@code TLBI_NH_ASID} + {@code CMD_SYNC}). Unmap, per segment, in
 * {@code iommu_dma_unmap_page}'s order: {@code arch_sync_dma_for_cpu} with its own barrier
 * (invalidate to PoC, DSB), {@link IommuDomain#unmap} of the page, which syncs before it returns
 * (one TLBI + CMD_SYNC per page: the public domain API has no unsynced unmap), and the IOVA page
 * freed.
 *
 * <p>The cache maintenance goes through arch-coherency's hooks, which the benchmarks reach on the
 * class path: the public DMA API has no bare cache maintenance (the primitives are local by
 * design), and a direct-path {@code DmaDevice} per page would add its mapping registry to the
 * baseline.
 *
 * <p>Not thread-safe: one instance per benchmark thread.
 */
final class PerPageDma {
    private final IommuDomain domain;
    private final IovaDomain iovas;
    private final ArchDmaSync arch;
    private final Cpu cpu;
    private final boolean coherent;
    private final long limitPfn;
    private final int shift;
    private final long granule;

    PerPageDma(IommuDomain domain, DeviceParams params, Cpu cpu, int cpus) {
        this.domain = domain;
        this.cpu = cpu;
        this.coherent = params.coherent();
        this.granule = domain.pageSizes().minPageSize();
        this.shift = Long.numberOfTrailingZeros(granule);
        // as IommuDma.of: IOVA page 0 never handed out, the aperture's end, the MSI window reserved
        this.iovas = new IovaDomain(granule, Math.max(1, domain.apertureStart() >>> shift),
                domain.apertureEnd() >>> shift, cpus, System::nanoTime);
        iovas.reserve(IommuDma.MSI_IOVA_BASE >>> shift,
                (IommuDma.MSI_IOVA_BASE + IommuDma.MSI_IOVA_LENGTH - 1) >>> shift);
        this.limitPfn = params.dmaMask() >>> shift;
        this.arch = new ArchDmaSync(DcacheMaintenance.on(cpu));
    }

    /**
     * Maps every segment of {@code list} (each one whole granule) on its own.
     *
     * @param iovaOut where the IOVA of segment {@code i} goes, at least {@code list.size()} long
     */
    void map(ScatterList list, DmaDirection dir, long[] iovaOut) {
        IommuProt prot = IommuProt.forDma(dir, coherent);
        for (int i = 0; i < list.size(); i++) {
            Segment s = list.segment(i);
            arch.forDevice(s.paddr(), s.length(), dir, coherent);
            long iova = iovas.allocFast(cpu.id(), 1, limitPfn, true) << shift;
            domain.map(iova, s.paddr(), granule, prot);
            domain.flushIotlbAll(); // the framework's flush after every mapped page
            iovaOut[i] = iova;
        }
    }

    /** Unmaps what {@link #map} mapped, page by page, each page's unmap synced on its own. */
    void unmap(ScatterList list, DmaDirection dir, long[] iovas) {
        for (int i = 0; i < list.size(); i++) {
            Segment s = list.segment(i);
            arch.forCpu(s.paddr(), s.length(), dir, coherent);
            long unmapped = domain.unmap(iovas[i], granule);
            if (unmapped != granule) {
                throw new IllegalStateException(String.format(
                        "unmapped %d of iova=0x%x", unmapped, iovas[i]));
            }
            this.iovas.freeFast(cpu.id(), iovas[i] >>> shift, 1);
        }
    }
}

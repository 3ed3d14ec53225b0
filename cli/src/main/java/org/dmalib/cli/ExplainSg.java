package org.dmalib.cli;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.dma.ops.DeviceParams;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.DmaMapping;
import org.dmalib.dma.ops.IommuDmaDomain;
import org.dmalib.dma.ops.IovaRange;
import org.dmalib.dma.ops.PageAllocator;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.dmalib.iommu.smmu.SmmuV3;
import org.dmalib.iommu.smmu.TableMemory;

/**
 * One {@code dma_map_sg} on a throw-away machine, as {@code dmalib explain-sg} runs it: the real
 * dma-iommu code maps the list for a non-coherent device behind an SMMUv3 DMA domain, and the
 * DMA segments and the IOVA range it took are read back, then unmapped.
 *
 * <p>Machine layout: RAM from 0 up to the end of the highest segment (rounded up to 64 KiB),
 * then the SMMU's table memory above it, reserved from the page allocator (which reserves
 * top-down, so the region starts exactly where the segments end). There is no bounce pool: a
 * trusted device behind an IOMMU is never bounced, so every physical address of the segments is
 * the caller's to use, 0 included. The device's DMA mask is the domain's 48 bits, so a list
 * of up to {@link #MAX_TOTAL_LENGTH} always finds IOVA space. The sparse RAM costs heap only
 * for the frames the page tables write.
 *
 * <p>Stateless; thread-safe (every run builds its own machine).
 */
final class ExplainSg {
    /** The highest end of a segment accepted: the throw-away machine's RAM is at most 64 GiB. */
    static final long MAX_RAM = 64L << 30;
    /**
     * The largest total length of a list: 4 GiB (the cache maintenance of a non-coherent map
     * visits every 64-byte line; 4 GiB takes seconds).
     */
    static final long MAX_TOTAL_LENGTH = 4L << 30;
    /** The most segments a list may have. */
    static final int MAX_SEGMENTS = 1 << 16;
    /** Input address bits of the domain, and the device's DMA mask. */
    static final int IAS = 48;

    private static final int SID = 5;
    private static final long BLOCK = TableMemory.MAX_BLOCK;

    private ExplainSg() {}

    /**
     * One input segment.
     *
     * @param paddr its first byte's physical address, not negative
     * @param length its bytes, positive
     */
    record Input(long paddr, int length) {}

    /**
     * A checked request: the device's limits and its list, within this class's caps.
     *
     * @param granule the domain's granule: 4, 16 or 64 KiB
     * @param segmentBoundaryMask {@code 2^n - 1}, n from 12 to 64
     * @param maxSegmentSize positive
     * @param segments 1 to {@link #MAX_SEGMENTS}, each at most {@code maxSegmentSize} long,
     *     ending at most at {@link #MAX_RAM}, together at most {@link #MAX_TOTAL_LENGTH}
     */
    record Request(int granule, long segmentBoundaryMask, int maxSegmentSize,
            List<Input> segments) {}

    /**
     * One output DMA segment.
     *
     * @param offset its DMA address minus the first IOVA of the list's range
     * @param length its bytes
     */
    record Output(long offset, long length) {}

    /**
     * What the mapping gave.
     *
     * @param iovaLength the range's length as dma-iommu computed it (granule-aligned spans plus
     *     boundary padding), before the allocator's rounding
     * @param segments the DMA segments, in order ({@code dma_map_sg}'s count is their number)
     */
    record Result(long iovaLength, List<Output> segments) {
        /** Returns the result as one JSON object: {@code {"count":..,"iovaLength":..,"segments":[..]}}. */
        String json() {
            StringBuilder b = new StringBuilder();
            b.append("{\"count\":").append(segments.size()).append(",\"iovaLength\":")
                    .append(iovaLength).append(",\"segments\":[");
            for (int i = 0; i < segments.size(); i++) {
                Output o = segments.get(i);
                b.append(i == 0 ? "" : ",").append("{\"offset\":").append(o.offset())
                        .append(",\"length\":").append(o.length()).append('}');
            }
            return b.append("]}").toString();
        }
    }

    /**
     * Maps and unmaps the list on a fresh machine.
     *
     * @param r the request, checked as {@link Request} states
     * @return the DMA segments and the IOVA length
     * @throws IllegalStateException if the mapping did not take exactly one IOVA range
     */
    static Result run(Request r) {
        long end = 0;
        long bound = 0;
        List<Segment> list = new ArrayList<>(r.segments().size());
        for (Input s : r.segments()) {
            end = Math.max(end, s.paddr() + s.length());
            // a span is the segment rounded out to granules; padding before a span is shorter
            // than the span, so twice the spans bound the IOVA length the tables must cover
            bound += 2 * (s.length() + 2L * r.granule());
            list.add(Segment.ofPhysical(s.paddr(), s.length()));
        }
        long dataEnd = roundUp(end, BLOCK);
        long tables = Teardown.tableBytes(bound, r.granule());
        Machine machine = Machine.create(MachineConfig.of(dataEnd + tables));
        // no bounce pool: see the class comment
        PageAllocator memory = PageAllocator.create(machine, 0);
        // top-down: the highest 64 KiB-aligned run of its size, [dataEnd, dataEnd + tables)
        long tableBase = memory.reserveRegion(tables, BLOCK);
        SmmuV3 driver = SmmuV3.probe(machine.addSmmu(SmmuConfig.gem5()), machine.cpu(0),
                TableMemory.of(machine, tableBase, tables));
        IommuDomain domain = driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX,
                r.granule(), IAS);
        driver.attach(domain, SID);
        DmaPort port = machine.attach(SID, Coherency.NON_COHERENT, driver.smmu());
        DeviceParams params = DeviceParams.of(port)
                .withDmaMask(DeviceParams.bitMask(IAS))
                .withSegmentBoundaryMask(r.segmentBoundaryMask())
                .withMaxSegmentSize(r.maxSegmentSize())
                // the user's addresses name memory this throw-away allocator never handed out:
                // the debug checks of where memory lies would refuse every one of them
                .withDebug(DebugMode.OFF);
        DmaDevice dev = DmaDevice.create(memory, params, IommuDmaDomain.create(memory, domain));

        DmaMapping m = dev.mapSg(machine.cpu(0), ScatterList.of(list), DmaDirection.TO_DEVICE);
        List<IovaRange> ranges = m.iovaRanges();
        List<DmaSegment> dma = m.dmaSegments();
        m.unmap(machine.cpu(0));
        dev.detach();
        if (ranges.size() != 1) {
            // a trusted device's list takes one range (an untrusted one's, one per segment)
            throw new IllegalStateException("the list was mapped in " + ranges.size()
                    + " IOVA ranges, not one: " + ranges);
        }
        long iova = ranges.get(0).iova();
        List<Output> out = new ArrayList<>(dma.size());
        for (DmaSegment d : dma) {
            out.add(new Output(d.dmaAddress() - iova, d.dmaLength()));
        }
        return new Result(ranges.get(0).length(), List.copyOf(out));
    }

    private static long roundUp(long n, long to) {
        return (n + to - 1) / to * to;
    }
}

package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;

/**
 * The debug checks of a map call, run before anything is mapped ({@code debug_dma_map_phys},
 * {@code debug_dma_map_sg}): where the memory lies, the device's segment limits, and the
 * active cache lines. Reports go through the mapping device's {@link DeviceDebug}. Stateless.
 */
final class MapChecks {
    private MapChecks() {}

    /** The memory checks and the segment-length check of every range. */
    static void check(DmaDevice dev, MappingKind kind, List<Chunk> ranges, List<StackTraceElement> at) {
        DeviceDebug debug = dev.debug();
        for (int i = 0; i < ranges.size(); i++) {
            long paddr = ranges.get(i).phys();
            long size = ranges.get(i).size();
            DebugCheck area = dev.memory().classify(paddr, size);
            if (area != null) {
                debug.reportRequest(area, at, String.format(
                        "[%s] [addr=0x%x] [len=%d]", where(kind, i), paddr, size));
            }
            if (kind == MappingKind.SCATTER_GATHER && size > dev.params().maxSegmentSize()) {
                debug.reportRequest(DebugCheck.SG_SEGMENT_TOO_LONG, at, String.format(
                        "[segment[%d].length=%d] [maxSegmentSize=%d]",
                        i, size, dev.params().maxSegmentSize()));
            }
        }
    }

    /**
     * The boundary check of a direct list's DMA segments (each is its chunk as the device
     * reaches it, bounce buffer or not).
     */
    static void checkBoundaries(DmaDevice dev, List<Chunk> chunks, List<StackTraceElement> at) {
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            checkBoundary(dev, "segment[" + i + "]", c.devicePhys(), c.size(),
                    c.bounced() ? " (its bounce buffer)" : "", at);
        }
    }

    /**
     * The boundary check of a list's DMA segments over an IOMMU, as mapped (dma-debug's
     * {@code check_sg_segment} after {@code iommu_dma_map_sg}): the padding keeps a segment
     * that fits in a boundary window off the boundary, so only a longer span crosses one.
     */
    static void checkDmaBoundaries(DmaDevice dev, List<DmaSegment> segments, List<StackTraceElement> at) {
        for (int i = 0; i < segments.size(); i++) {
            DmaSegment s = segments.get(i);
            checkBoundary(dev, "dma segment[" + i + "]", s.dmaAddress(), s.dmaLength(), "", at);
        }
    }

    private static void checkBoundary(DmaDevice dev, String which, long start, long size, String note,
            List<StackTraceElement> at) {
        long boundary = dev.params().segmentBoundaryMask();
        long last = start + size - 1;
        if ((start & ~boundary) != (last & ~boundary)) {
            dev.debug().reportRequest(DebugCheck.SG_SEGMENT_ACROSS_BOUNDARY, at, String.format(
                    "[%s dmaAddress=0x%x length=%d%s] [start=0x%x] [end=0x%x] [segmentBoundaryMask=0x%x]",
                    which, start, size, note, start, last, boundary));
        }
    }

    /**
     * {@code active_cacheline_insert} for every range of a device-writable mapping: counts its
     * start line as active and reports each line where another such mapping starts already.
     *
     * @return the lines counted (to remove at unmap, or when the map fails)
     * @throws DmaDebugException on an overlap in THROW mode (then nothing stays counted)
     */
    static List<Long> claimLines(DmaDevice dev, List<Chunk> ranges, DmaDirection dir,
            List<StackTraceElement> at) {
        // a device that only reads the buffer cannot make the CPU consume stale data
        if (dir == DmaDirection.TO_DEVICE) {
            return List.of();
        }
        DebugState state = dev.memory().debug();
        List<Long> lines = new ArrayList<>(ranges.size());
        for (Chunk r : ranges) {
            lines.add(state.line(r.phys()));
        }
        // the overflow is decided with the counts: a concurrent unmap cannot take it back
        DebugState.Inserted inserted = state.insertLines(lines);
        try {
            for (Long l : inserted.overlaps()) {
                dev.debug().reportRequest(DebugCheck.CACHELINE_OVERLAP, at, String.format(
                        "[cacheline=0x%x] [paddr=0x%x] [dir=%s]", l, firstIn(state, ranges, l), dir));
            }
            long l = inserted.overflow();
            if (l != DebugState.NO_LINE && state.overflowOnce()) {
                dev.debug().reportRequest(DebugCheck.CACHELINE_OVERLAP_OVERFLOW, at, String.format(
                        "[max=%d] [cacheline=0x%x]", DebugState.MAX_OVERLAPS, l));
            }
        } catch (RuntimeException e) {
            state.removeLines(lines);
            throw e;
        }
        return lines;
    }

    private static long firstIn(DebugState state, List<Chunk> ranges, long line) {
        for (Chunk r : ranges) {
            if (state.line(r.phys()) == line) {
                return r.phys();
            }
        }
        return -1;
    }

    private static String where(MappingKind kind, int index) {
        return kind == MappingKind.SCATTER_GATHER ? "segment[" + index + "]" : kind.name();
    }
}

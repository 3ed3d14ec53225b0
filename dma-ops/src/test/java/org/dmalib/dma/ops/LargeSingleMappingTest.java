package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.Segment;
import org.junit.jupiter.api.Test;

/**
 * A single mapping of 2 GiB or more ({@code dma_map_single} takes a {@code size_t}) on a sparse
 * 8 GiB machine: its input segments, whose lengths are ints, still add up to the buffer.
 */
class LargeSingleMappingTest {
    private static final long GIB = 1L << 30;

    private final Machine machine = Machine.create(MachineConfig.of(8 * GIB));
    private final PageAllocator memory = PageAllocator.create(machine, 1L << 20);
    private final Cpu cpu = machine.cpu(0);
    private final DmaPort port = machine.attach(1, Coherency.COHERENT);
    // checks off: the range is not a buffer of the allocator (which hands out int sizes)
    private final DmaDevice dev = DmaDevice.create(memory,
            DeviceParams.of(port).withDmaMask(-1L).withDebug(DebugMode.OFF));

    @Test
    void aTwoGibBufferIsTwoInputSegmentsThatAddUpToIt() {
        long paddr = GIB + 0x123;
        DmaMapping m = dev.mapSingle(cpu, paddr, 2 * GIB, DmaDirection.TO_DEVICE);
        List<Segment> in = m.inputSegments();
        assertEquals(List.of(Segment.ofPhysical(paddr, Integer.MAX_VALUE & -4096),
                Segment.ofPhysical(paddr + (Integer.MAX_VALUE & -4096), 4096)), in);
        assertEquals(2 * GIB, m.size());
        m.unmap(cpu);
    }

    @Test
    void aBufferOfFourGibAndAPageIsNotTakenForAPage() {
        // (int) of 2^32 + 4096 is 4096: the length must not wrap
        long size = 4 * GIB + 4096;
        DmaMapping m = dev.mapSingle(cpu, GIB, size, DmaDirection.FROM_DEVICE);
        List<Segment> in = m.inputSegments();
        long sum = 0;
        long next = GIB;
        for (Segment s : in) {
            assertEquals(next, s.paddr(), "the pieces are consecutive");
            sum += s.length();
            next = s.end();
        }
        assertEquals(size, sum);
        assertEquals(3, in.size());
        m.unmap(cpu);
    }

    @Test
    void aBufferOfExactlyTheLargestPieceIsOneSegment() {
        int largest = Integer.MAX_VALUE & -4096;
        DmaMapping m = dev.mapSingle(cpu, GIB, largest, DmaDirection.BIDIRECTIONAL);
        assertEquals(List.of(Segment.ofPhysical(GIB, largest)), m.inputSegments());
        m.unmap(cpu);
    }
}

package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DmaMappingException;
import org.dmalib.dma.ops.PageAllocator;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;

/**
 * A driver whose start runs out of memory gives back what it took and is left unstarted, as its
 * Javadoc says: its other calls are refused as for a driver never started (no mapping is made
 * through a ring that does not exist), and it starts once memory is free again.
 */
class FailedStartTest {
    /** Takes every free buffer page of {@code p} but {@code left}; returns the filler. */
    private static CpuBuffer fillAllBut(Platform p, int left) {
        long pages = (p.machine.memory().size() - p.memory.bouncePoolSize()) / PageAllocator.PAGE_SIZE
                - p.memory.pagesInUse() - p.memory.pagesReserved();
        return p.memory.allocate(Math.toIntExact((pages - left) * PageAllocator.PAGE_SIZE));
    }

    @Test
    void a_nic_driver_whose_start_fails_midway_releases_everything_and_can_start_again() {
        Platform p = new Platform(IommuMode.DIRECT, Coherency.NON_COHERENT);
        Nic nic = new Nic(p.port);
        NicDriver driver = new NicDriver(p.dev, nic, p.cpu, 8, DriverMistake.CORRECT);
        // four pages: both rings and the first RX and TX pages; the second RX page fails, with
        // two RX buffers mapped by then
        CpuBuffer filler = fillAllBut(p, 4);
        int inUse = p.memory.pagesInUse();
        assertThrows(DmaMappingException.class, driver::start);
        assertEquals(inUse, p.memory.pagesInUse(), "rings and buffer pages are freed");
        assertEquals(List.of(), p.dev.pendingMappings(), "the RX buffers are unmapped");
        assertThrows(IllegalStateException.class, driver::receive);
        assertThrows(IllegalStateException.class, () -> driver.transmit(new byte[60]));
        assertThrows(IllegalStateException.class, driver::reapTx);
        assertThrows(IllegalStateException.class, driver::stop);

        p.memory.free(filler);
        driver.start();
        byte[] frame = new byte[100];
        frame[0] = 9;
        assertTrue(nic.receive(frame));
        List<byte[]> got = driver.receive();
        assertEquals(1, got.size());
        assertArrayEquals(frame, got.get(0));
        driver.stop();
        assertEquals(List.of(), p.dev.pendingMappings());
    }

    @Test
    void a_block_driver_whose_start_fails_maps_nothing_afterwards_and_can_start_again() {
        Platform p = new Platform(IommuMode.DIRECT, Coherency.NON_COHERENT);
        BlockDevice disk = new BlockDevice(p.port, 64);
        BlockDriver driver = new BlockDriver(p.dev, disk, p.cpu, 8, DriverMistake.CORRECT);
        CpuBuffer buf = p.memory.allocate(4096);
        byte[] data = new byte[BlockDevice.SECTOR];
        data[0] = 5;
        buf.write(p.cpu, 0, data);
        BlockRequest write = new BlockRequest(BlockRequest.Op.WRITE, 3,
                ScatterList.of(buf.segment(0, BlockDevice.SECTOR)));
        // one page: the ring fits, the four pages of segment tables do not
        CpuBuffer filler = fillAllBut(p, 1);
        int inUse = p.memory.pagesInUse();
        assertThrows(DmaMappingException.class, driver::start);
        assertEquals(inUse, p.memory.pagesInUse(), "the ring is freed");
        assertThrows(IllegalStateException.class, () -> driver.submit(write));
        assertEquals(List.of(), p.dev.pendingMappings(), "a refused submit maps nothing");
        assertThrows(IllegalStateException.class, driver::reap);
        assertThrows(IllegalStateException.class, driver::stop);
        assertFalse(p.dev.isDetached());

        p.memory.free(filler);
        driver.start();
        driver.submit(write);
        assertTrue(driver.reap().get(0).ok());
        assertArrayEquals(data, disk.peek(3, 1));
        driver.stop();
        assertEquals(List.of(), p.dev.pendingMappings());
    }
}

package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.junit.jupiter.api.Test;

/**
 * The cache maintenance of one received frame on a non-coherent NIC, as arm64 Linux does it for
 * a recycled RX buffer: {@code dma_sync_single_for_cpu(FROM_DEVICE)} invalidates the frame's
 * lines to PoC before the CPU reads them ({@code dcache_inval_poc}: a partial last line is
 * cleaned and invalidated), and {@code dma_sync_single_for_device(FROM_DEVICE)} cleans them
 * ({@code dcache_clean_poc}, since commit c50f11c6196f) before the buffer goes back to the
 * device; each ends with one barrier.
 */
class NicCacheTest {
    @Test
    void a_received_frame_is_invalidated_for_the_cpu_then_cleaned_for_the_device() {
        Platform p = new Platform(IommuMode.STRICT, Coherency.NON_COHERENT);
        Nic nic = new Nic(p.port);
        NicDriver driver = new NicDriver(p.dev, nic, p.cpu, 4, DriverMistake.CORRECT);
        driver.start();
        byte[] frame = new byte[Nic.MAX_FRAME];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (i * 13 + 1);
        }
        HwCounters before = p.machine.counters();
        assertTrue(nic.receive(frame));
        List<byte[]> got = driver.receive();
        HwCounters after = p.machine.counters().minus(before);
        assertEquals(1, got.size());
        assertArrayEquals(frame, got.get(0));
        // 1514 bytes from the start of a 2048-byte buffer: 23 whole lines of 64 bytes and a
        // partial 24th
        assertEquals(23, after.linesInvalidated(), after::toString);
        assertEquals(1, after.linesCleanInvalidated(), after::toString);
        assertEquals(24, after.linesCleaned(), after::toString);
        assertEquals(2, after.barriers(), after::toString);
        driver.stop();
        p.teardown();
    }
}

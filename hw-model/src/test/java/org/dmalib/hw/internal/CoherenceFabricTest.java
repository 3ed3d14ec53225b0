package org.dmalib.hw.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * A coherent read of many pages in one transaction (DMA ports split a burst by page; the
 * fabric's own read does not): pages no cache holds come from RAM in one piece, the rest line by
 * line, and every byte is the newest.
 */
class CoherenceFabricTest {
    private static final int PAGE = 4096;
    private static final long BUF = 0x10000;

    private final PhysicalMemory ram = new PhysicalMemory(1L << 20);
    private final CoherenceFabric fabric = new CoherenceFabric(ram, CacheGeometry.DEFAULT, 2,
            new HwStats());

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + 7 * i);
        }
        return b;
    }

    @Test
    void a_read_over_pages_no_cache_holds_around_a_dirty_one_is_ram_and_the_dirty_line() {
        byte[] expected = pattern(4 * PAGE, 3);
        ram.write(BUF, expected, 0, expected.length);
        // pages 0 and 2: no cache holds a line; page 1: a dirty line in CPU 1; page 3: none
        byte[] dirty = pattern(16, 100);
        fabric.cpuStore(1, BUF + PAGE + 200, dirty, 0, dirty.length);
        System.arraycopy(dirty, 0, expected, PAGE + 200, dirty.length);
        byte[] got = new byte[4 * PAGE - 150];
        Arrays.fill(got, (byte) 0x5a);
        fabric.coherentRead(BUF + 100, got, 0, got.length);
        assertArrayEquals(Arrays.copyOfRange(expected, 100, 100 + got.length), got);
    }

    @Test
    void a_read_over_pages_sees_a_write_back_in_flight_after_pages_no_cache_holds() {
        byte[] expected = pattern(3 * PAGE, 9);
        ram.write(BUF, expected, 0, expected.length);
        byte[] dirty = pattern(8, 50);
        fabric.cpuStore(0, BUF + 2 * PAGE + 64, dirty, 0, dirty.length);
        fabric.cleanInvalidate(0, BUF + 2 * PAGE + 64); // in flight: no cache holds the page now
        System.arraycopy(dirty, 0, expected, 2 * PAGE + 64, dirty.length);
        byte[] got = new byte[3 * PAGE - 10];
        fabric.coherentRead(BUF + 10, got, 0, got.length);
        assertArrayEquals(Arrays.copyOfRange(expected, 10, 10 + got.length), got);
    }
}

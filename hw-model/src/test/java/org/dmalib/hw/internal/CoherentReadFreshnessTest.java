package org.dmalib.hw.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * A coherent master's read right after each fabric transaction that changes what it must see,
 * on bytes the same master had just read from RAM while no cache held them (so that a read
 * that kept or trusted anything from the earlier read, or looked only at whether a cache holds
 * the page, would return stale bytes): a CPU store, a clean whose write-back is in flight, a
 * clean+invalidate, the barrier that completes it, an invalidate that discards dirty data, and
 * another coherent master's write.
 */
class CoherentReadFreshnessTest {
    private static final long BUF = 0x20000;
    private static final int LEN = 64;

    private final PhysicalMemory ram = new PhysicalMemory(1L << 20);
    private final HwStats stats = new HwStats();
    private final CoherenceFabric fabric = new CoherenceFabric(ram, CacheGeometry.DEFAULT, 2, stats);

    private static byte[] filled(int value) {
        byte[] b = new byte[LEN];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private byte[] deviceRead() {
        byte[] got = new byte[LEN];
        fabric.dmaRead(BUF, got, 0, LEN);
        return got;
    }

    /** RAM holds 1s, no cache holds the page, and the device has just read them. */
    private void ramHoldsOnesAndTheDeviceReadThem() {
        ram.write(BUF, filled(1), 0, LEN);
        assertArrayEquals(filled(1), deviceRead());
    }

    @Test
    void a_cpu_store_is_seen_by_the_next_read_though_ram_still_holds_the_old_bytes() {
        ramHoldsOnesAndTheDeviceReadThem();
        fabric.cpuStore(1, BUF, filled(2), 0, LEN);
        assertArrayEquals(filled(2), deviceRead());
        assertEquals(1, ram.readByte(BUF), "the store is still only in CPU 1's cache");
    }

    @Test
    void a_one_word_store_is_seen_among_the_old_bytes() {
        ramHoldsOnesAndTheDeviceReadThem();
        fabric.cpuStoreLong(0, BUF + 16, -1L);
        byte[] want = filled(1);
        Arrays.fill(want, 16, 24, (byte) -1);
        assertArrayEquals(want, deviceRead());
    }

    @Test
    void a_clean_write_back_in_flight_is_seen_and_so_is_ram_after_the_barrier() {
        ramHoldsOnesAndTheDeviceReadThem();
        fabric.cpuStore(0, BUF, filled(3), 0, LEN);
        fabric.clean(0, BUF); // the line stays cached, clean; its data is in flight
        assertEquals(1, fabric.inFlightCount());
        assertEquals(1, ram.readByte(BUF), "not yet in RAM");
        assertArrayEquals(filled(3), deviceRead());
        fabric.barrier(0);
        assertEquals(3, ram.readByte(BUF));
        assertArrayEquals(filled(3), deviceRead());
    }

    @Test
    void a_write_back_in_flight_of_a_line_no_cache_holds_any_more_is_seen() {
        ramHoldsOnesAndTheDeviceReadThem();
        fabric.cpuStore(1, BUF, filled(4), 0, LEN);
        fabric.cleanInvalidate(1, BUF); // no cache holds the page now: only the in-flight copy is new
        assertFalse(fabric.isCached(1, BUF));
        assertEquals(1, ram.readByte(BUF));
        assertArrayEquals(filled(4), deviceRead());
        fabric.barrier(1);
        assertArrayEquals(filled(4), deviceRead());
    }

    @Test
    void an_invalidate_discards_the_dirty_bytes_and_the_next_read_is_ram_again() {
        ramHoldsOnesAndTheDeviceReadThem();
        fabric.cpuStore(0, BUF, filled(5), 0, LEN);
        assertArrayEquals(filled(5), deviceRead());
        fabric.invalidate(0, BUF);
        assertArrayEquals(filled(1), deviceRead());
    }

    @Test
    void another_coherent_masters_write_is_seen_and_a_range_read_counts_its_bytes() {
        ramHoldsOnesAndTheDeviceReadThem();
        fabric.dmaWrite(BUF + 8, filled(6), 0, 8);
        byte[] want = filled(1);
        Arrays.fill(want, 8, 16, (byte) 6);
        assertArrayEquals(want, deviceRead());
        assertEquals(2L * LEN, fabric.counters().dmaBytesRead(), "both device reads counted");
    }

    @Test
    void a_read_over_two_pages_sees_a_dirty_line_in_the_second_after_reading_both_from_ram() {
        long at = BUF + 4096 - 32; // 32 bytes in each page
        ram.write(at, filled(1), 0, LEN);
        byte[] got = new byte[LEN];
        fabric.dmaRead(at, got, 0, LEN);
        assertArrayEquals(filled(1), got);
        fabric.cpuStoreByte(0, BUF + 4096 + 31, (byte) 7); // the last byte read
        fabric.dmaRead(at, got, 0, LEN);
        byte[] want = filled(1);
        want[LEN - 1] = 7;
        assertArrayEquals(want, got);
    }
}

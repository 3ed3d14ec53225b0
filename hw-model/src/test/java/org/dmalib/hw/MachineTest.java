package org.dmalib.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.dmalib.hw.cache.CacheMaintenance;
import org.junit.jupiter.api.Test;

/** The CPU caches, their coherence with each other, and DMA masters of both kinds. */
class MachineTest {
    private static final long MIB = 1L << 20;
    private static final long BUF = 0x10000;

    private final Machine machine = Machine.create(MachineConfig.of(4 * MIB));
    private final Cpu cpu0 = machine.cpu(0);
    private final Cpu cpu1 = machine.cpu(1);

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i);
        }
        return b;
    }

    @Test
    void a_machine_and_an_smmu_that_did_nothing_count_zero() {
        Machine fresh = Machine.create(MachineConfig.of(1L << 20));
        assertEquals(HwCounters.ZERO, fresh.counters());
        assertEquals(SmmuCounters.ZERO, fresh.addSmmu(SmmuConfig.gem5()).counters());
        HwCounters before = machine.counters();
        cpu0.storeLong(BUF, 1);
        assertNotEquals(HwCounters.ZERO, machine.counters().minus(before), "a store counts");
    }

    @Test
    void a_store_stays_dirty_in_the_cache_and_ram_keeps_the_old_data() {
        cpu0.storeLong(BUF, 0xabcdefL);
        assertTrue(cpu0.isDirty(BUF));
        assertEquals(0xabcdefL, cpu0.loadLong(BUF));
        assertEquals(0, machine.memory().readLong(BUF));
    }

    @Test
    void eviction_writes_a_dirty_line_back() {
        CacheGeometry g = machine.config().cache();
        long setStride = (long) g.sets() * g.lineSize(); // addresses this far apart share a set
        cpu0.storeLong(BUF, 77);
        for (int i = 1; i <= g.ways(); i++) {
            cpu0.loadLong(BUF + i * setStride); // ways more lines of the same set evict BUF
        }
        assertFalse(cpu0.isCached(BUF));
        assertEquals(77, machine.memory().readLong(BUF));
        assertEquals(1, machine.counters().writebacks());
    }

    @Test
    void lru_keeps_the_recently_used_line() {
        CacheGeometry g = machine.config().cache();
        long setStride = (long) g.sets() * g.lineSize();
        for (int i = 0; i < g.ways(); i++) {
            cpu0.loadLong(BUF + i * setStride);
        }
        cpu0.loadLong(BUF); // BUF becomes most recently used
        cpu0.loadLong(BUF + g.ways() * setStride);
        assertTrue(cpu0.isCached(BUF));
        assertFalse(cpu0.isCached(BUF + setStride));
    }

    @Test
    void hits_and_misses_are_counted_per_line() {
        HwCounters before = machine.counters();
        cpu0.load(BUF, new byte[128], 0, 128); // two lines: two misses
        cpu0.load(BUF + 8, new byte[8], 0, 8); // one hit
        HwCounters d = machine.counters().minus(before);
        assertEquals(2, d.cacheMisses());
        assertEquals(1, d.cacheHits());
    }

    @Test
    void cpu_caches_are_coherent_with_each_other() {
        cpu0.storeLong(BUF, 1);
        assertEquals(1, cpu1.loadLong(BUF)); // snooped from cpu0's dirty line
        cpu1.storeLong(BUF, 2);
        assertFalse(cpu0.isCached(BUF)); // the store took the line exclusive
        assertEquals(2, cpu0.loadLong(BUF));
    }

    @Test
    void non_coherent_master_reads_ram_not_the_dirty_cache() {
        DmaPort port = machine.attach(1, Coherency.NON_COHERENT);
        cpu0.store(BUF, pattern(64, 5), 0, 64);
        byte[] seen = new byte[64];
        assertEquals(DmaStatus.OK, port.read(BUF, seen, 0, 64));
        assertArrayEquals(new byte[64], seen);
    }

    @Test
    void non_coherent_master_write_leaves_a_stale_line_in_the_cache() {
        DmaPort port = machine.attach(1, Coherency.NON_COHERENT);
        cpu0.loadLong(BUF); // line cached, clean, zero
        assertEquals(DmaStatus.OK, port.write(BUF, pattern(8, 9), 0, 8));
        assertEquals(0, cpu0.loadLong(BUF)); // stale
        assertEquals(pattern(8, 9)[0], machine.memory().readByte(BUF));
    }

    @Test
    void coherent_master_sees_dirty_lines_and_invalidates_copies_it_overwrites() {
        DmaPort port = machine.attach(2, Coherency.COHERENT);
        cpu0.store(BUF, pattern(64, 5), 0, 64);
        byte[] seen = new byte[64];
        assertEquals(DmaStatus.OK, port.read(BUF, seen, 0, 64));
        assertArrayEquals(pattern(64, 5), seen);

        cpu1.loadLong(BUF + 4096);
        assertEquals(DmaStatus.OK, port.write(BUF + 4096, pattern(16, 1), 0, 16));
        assertFalse(cpu1.isCached(BUF + 4096));
        assertEquals(pattern(16, 1)[3], cpu1.loadByte(BUF + 4096 + 3));
    }

    @Test
    void coherent_partial_line_write_keeps_the_cpus_other_bytes() {
        DmaPort port = machine.attach(2, Coherency.COHERENT);
        cpu0.store(BUF, pattern(64, 100), 0, 64); // whole line dirty
        assertEquals(DmaStatus.OK, port.write(BUF + 8, new byte[8], 0, 8));
        byte[] line = new byte[64];
        cpu0.load(BUF, line, 0, 64);
        byte[] expected = pattern(64, 100);
        java.util.Arrays.fill(expected, 8, 16, (byte) 0);
        assertArrayEquals(expected, line);
    }

    @Test
    void dma_outside_memory_aborts_moves_nothing_and_is_counted() {
        DmaPort port = machine.attach(3, Coherency.NON_COHERENT);
        byte[] src = pattern(8192, 1);
        assertEquals(DmaStatus.ABORT, port.write(4 * MIB - 4096, src, 0, src.length));
        assertEquals(0, machine.memory().readByte(4 * MIB - 4096));
        assertEquals(DmaStatus.ABORT, port.read(-8, new byte[8], 0, 8));
        HwCounters c = machine.counters();
        assertEquals(2, c.dmaAborts());
        assertEquals(0, c.dmaBytesWritten());
        assertEquals(0, c.dmaBytesRead());
    }

    @Test
    void dma_bytes_are_counted() {
        DmaPort port = machine.attach(3, Coherency.NON_COHERENT);
        assertTrue(port.write(BUF, new byte[100], 0, 100).ok());
        assertTrue(port.read(BUF, new byte[40], 0, 40).ok());
        assertEquals(100, machine.counters().dmaBytesWritten());
        assertEquals(40, machine.counters().dmaBytesRead());
    }

    @Test
    void coherent_and_non_coherent_dma_bytes_are_counted_together() {
        DmaPort coherent = machine.attach(3, Coherency.COHERENT);
        DmaPort plain = machine.attach(5, Coherency.NON_COHERENT);
        assertTrue(coherent.write(BUF + 4000, new byte[200], 0, 200).ok()); // two pages
        assertTrue(coherent.read(BUF, new byte[64], 0, 64).ok());
        assertTrue(plain.read(BUF, new byte[10], 0, 10).ok());
        assertTrue(plain.write(BUF, new byte[3], 0, 3).ok());
        assertEquals(DmaStatus.ABORT, coherent.read(4 * MIB - 8, new byte[16], 0, 16));
        HwCounters c = machine.counters();
        assertEquals(203, c.dmaBytesWritten());
        assertEquals(74, c.dmaBytesRead());
        assertEquals(1, c.dmaAborts());
    }

    @Test
    void a_coherent_burst_takes_each_line_from_where_its_newest_copy_is() {
        DmaPort coherent = machine.attach(3, Coherency.COHERENT);
        machine.memory().write(BUF, pattern(256, 1), 0, 256); // RAM under all four lines
        cpu0.store(BUF + 64, pattern(64, 50), 0, 64); // line 1 dirty in cpu0
        cpu1.store(BUF + 128, pattern(64, 90), 0, 64); // line 2 cleaned: in flight, no barrier
        CacheMaintenance.of(cpu1).cleanLine(BUF + 128);
        cpu1.loadLong(BUF + 192); // line 3 clean in cpu1: RAM is as new
        byte[] seen = new byte[250];
        assertTrue(coherent.read(BUF + 3, seen, 0, seen.length).ok());
        byte[] expected = pattern(256, 1);
        System.arraycopy(pattern(64, 50), 0, expected, 64, 64);
        System.arraycopy(pattern(64, 90), 0, expected, 128, 64);
        assertArrayEquals(Arrays.copyOfRange(expected, 3, 253), seen);
        assertEquals(1, machine.writebacksInFlight()); // reading completes nothing
        assertTrue(cpu0.isDirty(BUF + 64));
    }

    @Test
    void a_stream_is_attached_once() {
        machine.attach(4, Coherency.COHERENT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> machine.attach(4, Coherency.NON_COHERENT));
        assertTrue(e.getMessage().contains("streamId=4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> machine.attach(-1, Coherency.COHERENT));
    }

    @Test
    void cpu_access_outside_memory_is_refused_and_changes_nothing() {
        HwCounters before = machine.counters();
        assertThrows(PhysicalAddressException.class, () -> cpu0.storeLong(4 * MIB - 4, 1));
        assertThrows(PhysicalAddressException.class, () -> cpu0.loadByte(4 * MIB));
        assertEquals(before, machine.counters());
    }

    @Test
    void configuration_is_validated_naming_the_value() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CacheGeometry(48, 32768, 4));
        assertTrue(e.getMessage().contains("lineSize=48"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CacheGeometry(64, 32768, 3));
        assertThrows(IllegalArgumentException.class, () -> new CacheGeometry(64, 1000, 4));
        e = assertThrows(IllegalArgumentException.class,
                () -> new MachineConfig(MIB, 0, CacheGeometry.DEFAULT));
        assertTrue(e.getMessage().contains("cpus=0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.of(MIB + 1));
        assertEquals(256, CacheGeometry.DEFAULT.sets());
    }

    @Test
    void a_fully_associative_cache_is_a_valid_geometry() {
        Machine small = Machine.create(new MachineConfig(MIB, 1, new CacheGeometry(64, 1024, 16)));
        for (int i = 0; i < 17; i++) {
            small.cpu(0).storeByte(i * 4096L, (byte) i);
        }
        assertFalse(small.cpu(0).isCached(0)); // 17 lines in 16 ways: the first is evicted
        assertEquals(0, small.memory().readByte(4096 * 16)); // the last is still only cached
        assertEquals(16, small.cpu(0).loadByte(4096 * 16));
    }

    @Test
    void compare_and_swap_goes_through_the_cache_and_is_atomic_across_cpus() throws Exception {
        assertEquals(0, cpu0.compareAndSwapLong(BUF, 0, 5));
        assertTrue(cpu0.isDirty(BUF));
        assertEquals(0, machine.memory().readLong(BUF)); // like a store: RAM not yet written
        assertEquals(5, cpu1.compareAndSwapLong(BUF, 0, 6)); // lost: the word holds 5
        assertEquals(5, cpu1.loadLong(BUF));
        assertThrows(PhysicalAddressException.class, () -> cpu0.compareAndSwapLong(BUF + 4, 0, 1));

        long word = BUF + 4096;
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            Cpu cpu = machine.cpu(t % 2);
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    long v;
                    do {
                        v = cpu.loadLong(word);
                    } while (cpu.compareAndSwapLong(word, v, v + 1) != v);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(4000, cpu0.loadLong(word));
    }

    @Test
    void every_cpu_access_outside_memory_is_refused_naming_the_address_with_nothing_cached() {
        long end = 4 * MIB;
        HwCounters before = machine.counters();
        PhysicalAddressException e = assertThrows(PhysicalAddressException.class,
                () -> cpu0.load(end - 8, new byte[16], 0, 16));
        assertTrue(e.getMessage().contains("0x3ffff8"), e.getMessage());
        assertEquals(end - 8, e.paddr());
        e = assertThrows(PhysicalAddressException.class,
                () -> cpu0.store(end - 8, new byte[16], 0, 16));
        assertEquals(end - 8, e.paddr());
        e = assertThrows(PhysicalAddressException.class, () -> cpu0.compareAndSwapLong(end, 0, 1));
        assertEquals(end, e.paddr());
        e = assertThrows(PhysicalAddressException.class, () -> cpu0.isCached(end));
        assertEquals(end, e.paddr());
        e = assertThrows(PhysicalAddressException.class, () -> cpu0.isDirty(-64));
        assertEquals(-64, e.paddr());
        IllegalArgumentException neg =
                assertThrows(IllegalArgumentException.class, () -> cpu0.zero(BUF, -1));
        assertTrue(neg.getMessage().contains("length=-1"), neg.getMessage());
        assertFalse(neg instanceof PhysicalAddressException, "a negative length is no address");
        assertEquals(before, machine.counters());
        assertFalse(cpu0.isCached(end - 64));
        assertEquals(0, machine.memory().framesInUse());
    }

    @Test
    void repeated_hits_keep_a_line_most_recently_used() {
        CacheGeometry g = machine.config().cache();
        long setStride = (long) g.sets() * g.lineSize();
        for (int i = 0; i < g.ways(); i++) {
            cpu0.loadLong(BUF + i * setStride);
        }
        for (int i = 0; i < 3; i++) {
            cpu0.loadLong(BUF); // every hit makes BUF the newest again
        }
        cpu0.loadLong(BUF + g.ways() * setStride);
        assertTrue(cpu0.isCached(BUF));
        assertFalse(cpu0.isCached(BUF + setStride), "the least recently used line goes");
        for (int i = 2; i < g.ways(); i++) {
            assertTrue(cpu0.isCached(BUF + i * setStride));
        }
    }

    @Test
    void a_fill_takes_an_invalidated_way_before_evicting_a_valid_line() {
        CacheGeometry g = machine.config().cache();
        long setStride = (long) g.sets() * g.lineSize();
        for (int i = 0; i < g.ways(); i++) {
            cpu0.loadLong(BUF + i * setStride);
        }
        long newest = BUF + (g.ways() - 1) * setStride;
        CacheMaintenance.of(cpu0).invalidateLine(newest); // frees the most recently used way
        cpu0.loadLong(BUF + g.ways() * setStride);
        for (int i = 0; i < g.ways() - 1; i++) {
            assertTrue(cpu0.isCached(BUF + i * setStride), "way " + i + " kept");
        }
        assertTrue(cpu0.isCached(BUF + g.ways() * setStride));
    }

    @Test
    void a_snoop_write_back_leaves_the_line_clean_and_is_counted_once() {
        cpu0.storeLong(BUF, 11);
        cpu1.loadLong(BUF); // the snoop writes cpu0's dirty copy back; cpu0 keeps it, clean
        assertFalse(cpu0.isDirty(BUF));
        assertTrue(cpu0.isCached(BUF));
        assertEquals(11, machine.memory().readLong(BUF));
        assertEquals(1, machine.counters().writebacks());
        cpu1.storeLong(BUF + 8, 12); // takes it exclusive: cpu0's clean copy is dropped unwritten
        assertFalse(cpu0.isCached(BUF));
        assertEquals(1, machine.counters().writebacks());
    }

    @Test
    void a_snoop_write_back_supersedes_an_older_clean_still_in_flight() {
        CacheMaintenance dc0 = CacheMaintenance.of(cpu0);
        DmaPort device = machine.attach(3, Coherency.NON_COHERENT);
        cpu0.storeLong(BUF, 1);
        dc0.cleanLine(BUF); // 1 is in flight until cpu0's barrier
        cpu0.storeLong(BUF, 2); // newer data, dirty again in cpu0
        cpu1.loadLong(BUF); // the snoop writes 2 to RAM: the in-flight 1 is now stale
        assertEquals(2, machine.memory().readLong(BUF));
        assertEquals(0, machine.writebacksInFlight());
        dc0.barrier(); // must not write the stale 1 over the 2
        byte[] seen = new byte[8];
        assertTrue(device.read(BUF, seen, 0, 8).ok());
        assertEquals(2, java.nio.ByteBuffer.wrap(seen).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
    }

    @Test
    void a_port_reports_its_stream_and_coherency() {
        DmaPort plain = machine.attach(3, Coherency.NON_COHERENT);
        DmaPort coherent = machine.attach(9, Coherency.COHERENT);
        assertEquals(3, plain.streamId());
        assertEquals(Coherency.NON_COHERENT, plain.coherency());
        assertEquals(9, coherent.streamId());
        assertEquals(Coherency.COHERENT, coherent.coherency());
        assertEquals(2, machine.cpuCount());
    }

    @Test
    void dma_at_the_edges_of_memory_moves_every_byte_inside_and_aborts_past_the_end() {
        long end = 4 * MIB;
        DmaPort port = machine.attach(3, Coherency.NON_COHERENT);
        byte[] src = pattern(6000, 7);
        // two pages from address 0, and two pages ending on the last byte of memory
        assertEquals(DmaStatus.OK, port.write(0, src, 0, src.length));
        assertEquals(DmaStatus.OK, port.write(end - src.length, src, 0, src.length));
        // one page, ending on the last byte
        assertEquals(DmaStatus.OK, port.write(end - 100, src, 0, 100));
        byte[] back = new byte[src.length];
        assertEquals(DmaStatus.OK, port.read(0, back, 0, back.length));
        assertArrayEquals(src, back);
        assertEquals(DmaStatus.OK, port.read(end - src.length, back, 0, back.length));
        byte[] want = src.clone();
        System.arraycopy(src, 0, want, src.length - 100, 100);
        assertArrayEquals(want, back);
        HwCounters before = machine.counters();
        // one page that starts at the end of memory: an abort, not an exception
        assertEquals(DmaStatus.ABORT, port.read(end, new byte[8], 0, 8));
        assertEquals(DmaStatus.ABORT, port.write(end, new byte[8], 0, 8));
        HwCounters d = machine.counters().minus(before);
        assertEquals(2, d.dmaAborts());
        assertEquals(0, d.dmaBytesRead() + d.dmaBytesWritten());
    }

    @Test
    void a_non_coherent_burst_over_pages_is_counted_exactly() {
        DmaPort port = machine.attach(3, Coherency.NON_COHERENT);
        HwCounters before = machine.counters();
        assertTrue(port.write(BUF + 100, new byte[9000], 0, 9000).ok()); // three pages
        assertTrue(port.read(BUF + 4000, new byte[5000], 0, 5000).ok()); // two pages
        HwCounters d = machine.counters().minus(before);
        assertEquals(9000, d.dmaBytesWritten());
        assertEquals(5000, d.dmaBytesRead());
        assertEquals(0, d.dmaAborts());
    }

    @Test
    void a_zero_length_burst_moves_nothing_and_succeeds_wherever_it_points() {
        DmaPort port = machine.attach(3, Coherency.NON_COHERENT);
        HwCounters before = machine.counters();
        for (long address : new long[] {-8, 4 * MIB, 4 * MIB + 4096, Long.MAX_VALUE}) {
            assertEquals(DmaStatus.OK, port.read(address, new byte[4], 2, 0));
            assertEquals(DmaStatus.OK, port.write(address, new byte[4], 2, 0));
        }
        assertEquals(before, machine.counters());
    }

    @Test
    void a_cpu_reports_its_caches_line_size() {
        assertEquals(64, cpu0.lineSize());
        Machine wide = Machine.create(new MachineConfig(MIB, 1, new CacheGeometry(128, 64 * 1024, 4)));
        assertEquals(128, wide.cpu(0).lineSize());
    }
}

package org.dmalib.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What a platform engineer can get wrong building a machine: every bad machine, cache, IOTLB
 * and SMMU configuration is refused with an exception of the documented type whose message
 * names the bad value, and a refused attach reserves nothing.
 */
class ConfigBadInputTest {
    private static final long MIB = 1L << 20;

    /** Asserts that {@code call} throws exactly {@code type} with a message containing {@code named}. */
    private static <T extends Throwable> T refused(Class<T> type, String named, Executable call) {
        T e = assertThrows(type, call);
        assertEquals(type, e.getClass(), "exactly " + type.getSimpleName() + ": " + e);
        assertTrue(e.getMessage() != null && e.getMessage().contains(named),
                "message names " + named + ": " + e.getMessage());
        return e;
    }

    @Test
    void a_memory_size_that_is_not_a_positive_multiple_of_a_frame_is_refused_naming_it() {
        for (long size : new long[] {0, -4096, 4095, 4097, MIB + 8, Long.MIN_VALUE, -1}) {
            refused(IllegalArgumentException.class, "memorySize=" + size,
                    () -> new MachineConfig(size, 2, CacheGeometry.DEFAULT));
            refused(IllegalArgumentException.class, "memorySize=" + size,
                    () -> MachineConfig.of(size));
        }
    }

    @Test
    void a_memory_size_above_48_bit_physical_addresses_is_refused_by_the_config_naming_it() {
        // accepted, these built a chunk table of up to 2^31 references at Machine.create (an
        // OutOfMemoryError from 2^50 on a small heap) or were refused only there
        for (long size : new long[] {(1L << 48) + 4096, 1L << 50, 1L << 52, Long.MAX_VALUE & -4096}) {
            refused(IllegalArgumentException.class, "memorySize=" + size,
                    () -> MachineConfig.of(size));
            refused(IllegalArgumentException.class, "size=" + size, () -> new PhysicalMemory(size));
        }
        assertEquals(1L << 48, MachineConfig.of(1L << 48).memorySize());
        Machine big = Machine.create(MachineConfig.of(1L << 40)); // 1 TiB: a 2 MiB chunk table
        big.cpu(0).storeLong((1L << 40) - 8, 1);
        assertEquals(1, big.cpu(1).loadLong((1L << 40) - 8));
    }

    @Test
    void a_cpu_count_outside_1_to_64_or_a_missing_cache_is_refused_naming_it() {
        for (int cpus : new int[] {0, -1, 65, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            refused(IllegalArgumentException.class, "cpus=" + cpus,
                    () -> new MachineConfig(MIB, cpus, CacheGeometry.DEFAULT));
        }
        refused(NullPointerException.class, "cache", () -> new MachineConfig(MIB, 2, null));
        refused(NullPointerException.class, "config", () -> Machine.create(null));
        assertEquals(64, Machine.create(new MachineConfig(MIB, 64, CacheGeometry.DEFAULT)).cpuCount());
    }

    @Test
    void a_line_size_that_is_not_a_power_of_two_from_16_to_256_is_refused_naming_it() {
        for (int line : new int[] {0, -64, 8, 24, 96, 512, Integer.MIN_VALUE}) {
            refused(IllegalArgumentException.class, "lineSize=" + line,
                    () -> new CacheGeometry(line, 64 * 1024, 4));
        }
    }

    @Test
    void associativity_that_is_not_a_power_of_two_is_refused_naming_it() {
        for (int ways : new int[] {0, -4, 3, 6, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            refused(IllegalArgumentException.class, "ways=" + ways,
                    () -> new CacheGeometry(64, 64 * 1024, ways));
        }
    }

    @Test
    void a_capacity_that_is_not_a_power_of_two_number_of_sets_is_refused_naming_it() {
        // no sets, negative, not a whole set, three sets, fewer bytes than one set of the ways
        for (int capacity : new int[] {0, -65536, 100, 3 * 64 * 4, 64 * 2}) {
            refused(IllegalArgumentException.class, "capacity=" + capacity,
                    () -> new CacheGeometry(64, capacity, 4));
        }
    }

    @Test
    void associativity_so_large_that_a_set_overflows_an_int_is_refused_naming_the_capacity() {
        // lineSize * ways is 2^32 (0 as an int), 2^31 (negative) and 2^34 (0 again): the set
        // size must not wrap into a division by zero or a negative set size
        int[][] shapes = {{256, 1 << 24}, {64, 1 << 25}, {16, 1 << 30}, {256, 1 << 30}};
        for (int[] s : shapes) {
            IllegalArgumentException e = refused(IllegalArgumentException.class, "capacity=1048576",
                    () -> new CacheGeometry(s[0], 1 << 20, s[1]));
            assertFalse(e.getMessage().contains("=-"), "no wrapped set size: " + e.getMessage());
            assertTrue(e.getMessage().contains(Long.toString((long) s[0] * s[1])), e.getMessage());
        }
        // the largest legal associativity: one set, fully associative, of the most lines
        assertEquals(1, new CacheGeometry(256, 256 * CacheGeometry.MAX_LINES,
                CacheGeometry.MAX_LINES).sets());
    }

    @Test
    void a_cache_of_more_than_2_pow_18_lines_is_refused_naming_the_capacity_and_its_lines() {
        // 16 MiB of 64-byte lines is the most; 32 MiB, or 16 MiB of 32-byte lines, is too many
        assertEquals(CacheGeometry.MAX_LINES / 4,
                new CacheGeometry(64, 64 * CacheGeometry.MAX_LINES, 4).sets());
        IllegalArgumentException e = refused(IllegalArgumentException.class,
                "capacity=" + (1 << 25), () -> new CacheGeometry(64, 1 << 25, 4));
        assertTrue(e.getMessage().contains("524288 lines"), e.getMessage());
        refused(IllegalArgumentException.class, "capacity=" + (1 << 24),
                () -> new CacheGeometry(32, 1 << 24, 8));
        refused(IllegalArgumentException.class, "capacity=" + (1 << 30),
                () -> new CacheGeometry(256, 1 << 30, 1 << 22));
    }

    @Test
    void the_largest_caches_on_the_most_cpus_build_a_machine_within_a_default_heap() {
        // every accepted configuration must build, not fail with OutOfMemoryError: 64 CPUs of
        // 2^18 lines each allocate their per-line arrays up front (about 350 MiB)
        CacheGeometry largest = new CacheGeometry(64, 64 * CacheGeometry.MAX_LINES, 16);
        Machine m = Machine.create(new MachineConfig(MIB, 64, largest));
        assertEquals(64, m.config().cpus());
        m.cpu(63).storeLong(0, 7);
        assertEquals(7, m.cpu(0).loadLong(0), "the caches work: CPU 0 snoops CPU 63's dirty line");
    }

    @Test
    void a_tlb_size_outside_its_bounds_is_refused_naming_the_field_and_the_bound() {
        refused(IllegalArgumentException.class, "microTlbEntries=-1",
                () -> new IotlbGeometry(-1, 0, 1, 0, 0, 0, 1));
        refused(IllegalArgumentException.class, "microTlbEntries=1025 must be from 0 to 1024",
                () -> new IotlbGeometry(1025, 0, 1, 0, 0, 0, 1));
        refused(IllegalArgumentException.class, "mainTlbEntries=65540 must be from 0 to 65536",
                () -> new IotlbGeometry(0, (1 << 16) + 4, 4, 0, 0, 0, 1));
        refused(IllegalArgumentException.class, "walkCacheL2=131072",
                () -> new IotlbGeometry(0, 0, 1, 0, 0, 1 << 17, 4));
        refused(IllegalArgumentException.class, "walkCacheL0=-4",
                () -> new IotlbGeometry(0, 0, 1, -4, 0, 0, 4));
        refused(IllegalArgumentException.class, "walkCacheL1=" + Integer.MIN_VALUE,
                () -> new IotlbGeometry(0, 0, 1, 0, Integer.MIN_VALUE, 0, 4));
        refused(IllegalArgumentException.class, "walkCacheL2=" + Integer.MAX_VALUE,
                () -> new IotlbGeometry(0, 0, 1, 0, 0, Integer.MAX_VALUE, 1));
        // the bounds themselves are accepted
        IotlbGeometry largest = new IotlbGeometry(IotlbGeometry.MAX_MICRO_TLB_ENTRIES,
                IotlbGeometry.MAX_ENTRIES, 4, IotlbGeometry.MAX_ENTRIES, IotlbGeometry.MAX_ENTRIES,
                IotlbGeometry.MAX_ENTRIES, 4);
        assertEquals(1024, largest.microTlbEntries());
        assertEquals(65536, largest.walkCacheL2());
    }

    @Test
    void a_tlb_whose_entries_are_not_whole_sets_is_refused_naming_both() {
        IllegalArgumentException e = refused(IllegalArgumentException.class, "walkCacheL2=349",
                () -> new IotlbGeometry(32, 2048, 4, 4, 28, 349, 4));
        assertTrue(e.getMessage().contains("4"), e.getMessage());
        refused(IllegalArgumentException.class, "mainTlbEntries=4",
                () -> new IotlbGeometry(32, 4, 8, 0, 0, 0, 1)); // fewer entries than ways
    }

    @Test
    void a_tlb_with_entries_needs_ways_and_an_absent_one_needs_none() {
        refused(IllegalArgumentException.class, "mainTlbWays=0",
                () -> new IotlbGeometry(32, 2048, 0, 4, 28, 348, 4));
        refused(IllegalArgumentException.class, "walkCacheWays=0",
                () -> new IotlbGeometry(32, 2048, 4, 0, 28, 0, 0));
        refused(IllegalArgumentException.class, "mainTlbWays=-4",
                () -> new IotlbGeometry(32, 0, -4, 0, 0, 0, 1));
        refused(IllegalArgumentException.class, "walkCacheWays=-1",
                () -> new IotlbGeometry(32, 0, 1, 0, 0, 0, -1));
        // as documented: the ways of an absent structure need not be at least 1
        IotlbGeometry microOnly = new IotlbGeometry(32, 0, 0, 0, 0, 0, 0);
        Machine m = Machine.create(MachineConfig.of(MIB));
        Smmu smmu = m.addSmmu(SmmuConfig.gem5().withIotlb(microOnly));
        assertEquals(microOnly, smmu.config().iotlb());
        DmaPort port = m.attach(1, Coherency.NON_COHERENT, smmu); // a disabled SMMU bypasses
        assertTrue(port.write(0x1000, new byte[] {7}, 0, 1).ok());
        assertEquals(7, m.memory().readByte(0x1000));
    }

    @Test
    void an_smmu_configuration_out_of_its_id_register_ranges_is_refused_naming_the_value() {
        IotlbGeometry g = IotlbGeometry.GEM5;
        refused(IllegalArgumentException.class, "asidBits=12",
                () -> new SmmuConfig(true, true, true, true, true, 48, 12, 8, 19, 19, g));
        refused(IllegalArgumentException.class, "streamIdBits=-1",
                () -> new SmmuConfig(true, true, true, true, true, 48, 16, -1, 19, 19, g));
        refused(IllegalArgumentException.class, "streamIdBits=-1",
                () -> SmmuConfig.gem5().withStreamIdBits(-1));
        for (int log2 : new int[] {0, 20, -1}) {
            refused(IllegalArgumentException.class, "commandQueueLog2=" + log2,
                    () -> new SmmuConfig(true, true, true, true, true, 48, 16, 8, log2, 19, g));
            refused(IllegalArgumentException.class, "eventQueueLog2=" + log2,
                    () -> new SmmuConfig(true, true, true, true, true, 48, 16, 8, 19, log2, g));
        }
        for (int oas : new int[] {0, 52, 64, -48}) {
            refused(IllegalArgumentException.class, "outputAddressBits=" + oas,
                    () -> new SmmuConfig(true, true, true, true, true, oas, 16, 8, 19, 19, g));
        }
        refused(NullPointerException.class, "iotlb",
                () -> new SmmuConfig(true, true, true, true, true, 48, 16, 8, 19, 19, null));
        refused(NullPointerException.class, "iotlb", () -> SmmuConfig.gem5().withIotlb(null));
        refused(NullPointerException.class, "kind", () -> new SmmuEvent(null, 1, 0, false));
    }

    @Test
    void a_cpu_index_out_of_range_is_refused_naming_it() {
        Machine m = Machine.create(MachineConfig.of(MIB));
        for (int index : new int[] {2, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> m.cpu(index));
            assertTrue(e.getMessage().contains(Integer.toString(index)), e.getMessage());
        }
        assertEquals(1, m.cpu(1).id());
    }

    @Test
    void a_refused_attach_reserves_no_stream_id() {
        Machine m = Machine.create(MachineConfig.of(MIB));
        Smmu foreign = Machine.create(MachineConfig.of(MIB)).addSmmu(SmmuConfig.gem5());
        Smmu fake = new Smmu() { // a look-alike the hardware model did not build
            @Override
            public SmmuConfig config() {
                return SmmuConfig.gem5();
            }

            @Override
            public SmmuCounters counters() {
                return SmmuCounters.ZERO;
            }

            @Override
            public List<SmmuEvent> events() {
                return List.of();
            }

            @Override
            public String toString() {
                return "fake-smmu";
            }
        };
        refused(NullPointerException.class, "coherency", () -> m.attach(5, null));
        refused(NullPointerException.class, "coherency",
                () -> m.attach(5, null, m.addSmmu(SmmuConfig.gem5())));
        refused(NullPointerException.class, "smmu", () -> m.attach(5, Coherency.COHERENT, null));
        refused(IllegalArgumentException.class, "smmu=fake-smmu is not an SMMU of the hardware model",
                () -> m.attach(5, Coherency.COHERENT, fake));
        refused(IllegalArgumentException.class, "smmu=" + foreign + " belongs to another machine",
                () -> m.attach(5, Coherency.COHERENT, foreign));
        refused(NullPointerException.class, "config", () -> m.addSmmu(null));
        for (int sid : new int[] {-1, Integer.MIN_VALUE}) {
            refused(IllegalArgumentException.class, "streamId=" + sid,
                    () -> m.attach(sid, Coherency.COHERENT));
        }
        // none of the refusals took stream 5: it attaches now, exactly once
        DmaPort port = m.attach(5, Coherency.NON_COHERENT);
        assertEquals(5, port.streamId());
        refused(IllegalArgumentException.class, "streamId=5",
                () -> m.attach(5, Coherency.COHERENT, m.addSmmu(SmmuConfig.gem5())));
        assertEquals(HwCounters.ZERO, m.counters());
    }

    @Test
    void counter_differences_need_an_earlier_snapshot() {
        HwCounters now = Machine.create(MachineConfig.of(MIB)).counters();
        refused(NullPointerException.class, "earlier", () -> now.minus(null));
        refused(NullPointerException.class, "earlier", () -> SmmuCounters.ZERO.minus(null));
    }
}

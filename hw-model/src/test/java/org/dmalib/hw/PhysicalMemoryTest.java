package org.dmalib.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PhysicalMemoryTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    @Test
    void untouched_memory_reads_zero_and_costs_no_frames() {
        PhysicalMemory mem = new PhysicalMemory(16 * GIB);
        assertEquals(0, mem.readLong(8 * GIB));
        assertEquals(0, mem.readByte(16 * GIB - 1));
        byte[] buf = new byte[10_000];
        java.util.Arrays.fill(buf, (byte) 0x5a); // every byte the read covers must become zero
        mem.read(3 * GIB + 17, buf, 3, buf.length - 5); // three frames, misaligned
        byte[] want = new byte[buf.length];
        want[0] = want[1] = want[2] = want[buf.length - 2] = want[buf.length - 1] = 0x5a;
        assertArrayEquals(want, buf);
        assertEquals(0, mem.framesInUse());
    }

    @Test
    void only_written_frames_cost_heap() {
        PhysicalMemory mem = new PhysicalMemory(16 * GIB);
        mem.writeByte(12 * GIB + 5, (byte) 1);
        mem.writeLong(4096, 42);
        mem.fill(GIB, 8192, (byte) 0); // zero fill of untouched frames stays sparse
        assertEquals(2, mem.framesInUse());
    }

    @Test
    void a_compare_and_set_that_fails_on_an_untouched_frame_writes_nothing_and_costs_no_frame() {
        PhysicalMemory mem = new PhysicalMemory(16 * GIB);
        assertFalse(mem.compareAndSetLong(5 * GIB + 64, 7, 8)); // the word reads as zero, not 7
        assertEquals(0, mem.readLong(5 * GIB + 64));
        assertEquals(0, mem.framesInUse(), "a failed compare-and-set wrote no frame");
        assertTrue(mem.compareAndSetLong(5 * GIB + 64, 0, 8)); // one that succeeds writes one
        assertEquals(8, mem.readLong(5 * GIB + 64));
        assertEquals(1, mem.framesInUse());
    }

    @Test
    void longs_are_little_endian_and_agree_with_bytes() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        mem.writeLong(64, 0x1122334455667788L);
        assertEquals((byte) 0x88, mem.readByte(64));
        assertEquals((byte) 0x11, mem.readByte(71));
        mem.writeByte(64, (byte) 0x99);
        assertEquals(0x1122334455667799L, mem.readLong(64));
    }

    @Test
    void bulk_copies_cross_frame_boundaries() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        byte[] src = new byte[3 * PhysicalMemory.FRAME_SIZE + 100];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i * 31 + 7);
        }
        mem.write(4000, src, 0, src.length);
        byte[] back = new byte[src.length];
        mem.read(4000, back, 0, back.length);
        assertArrayEquals(src, back);
        assertEquals(src[96], mem.readByte(4096)); // byte 96 of src lands on the next frame's first byte
    }

    @Test
    void out_of_range_access_is_refused_naming_the_address_and_changes_nothing() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        byte[] src = {1, 2, 3, 4};
        PhysicalAddressException e = assertThrows(PhysicalAddressException.class,
                () -> mem.write(MIB - 2, src, 0, 4));
        assertTrue(e.getMessage().contains("0xffffe"), e.getMessage());
        assertEquals(MIB - 2, e.paddr());
        assertEquals(4, e.length());
        assertEquals(0, mem.readByte(MIB - 2));
        assertEquals(0, mem.framesInUse());
        assertThrows(PhysicalAddressException.class, () -> mem.readByte(-1));
        assertThrows(PhysicalAddressException.class, () -> mem.readLong(MIB));
        assertThrows(PhysicalAddressException.class, () -> mem.fill(0, MIB + 1, (byte) 1));
        assertEquals(0, mem.framesInUse());
    }

    @Test
    void misaligned_word_access_is_refused() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        PhysicalAddressException e =
                assertThrows(PhysicalAddressException.class, () -> mem.writeLong(12, 1));
        assertTrue(e.getMessage().contains("0xc"), e.getMessage());
        assertThrows(PhysicalAddressException.class, () -> mem.compareAndSetLong(4, 0, 1));
    }

    @Test
    void size_must_be_positive_and_frame_aligned() {
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(0));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(4097));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(-4096));
        assertTrue(e.getMessage().contains("size=-4096"), e.getMessage());
    }

    @Test
    void compare_and_set_installs_exactly_one_winner_across_threads() throws Exception {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        AtomicLong winners = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 1; t <= 4; t++) {
            long value = t;
            threads.add(new Thread(() -> {
                if (mem.compareAndSetLong(2 * MIB / 4, 0, value)) {
                    winners.incrementAndGet();
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(1, winners.get());
        assertFalse(mem.readLong(2 * MIB / 4) == 0);
    }

    @Test
    void concurrent_writers_of_neighbouring_bytes_lose_nothing() throws Exception {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        int bytes = 4096;
        Thread even = new Thread(() -> {
            for (int i = 0; i < bytes; i += 2) {
                mem.writeByte(i, (byte) 1);
            }
        });
        Thread odd = new Thread(() -> {
            for (int i = 1; i < bytes; i += 2) {
                mem.write(i, new byte[] {2}, 0, 1);
            }
        });
        even.start();
        odd.start();
        even.join();
        odd.join();
        for (int i = 0; i < bytes; i++) {
            assertEquals(i % 2 == 0 ? 1 : 2, mem.readByte(i), "byte " + i);
        }
    }

    @Test
    void unaligned_bulk_copies_keep_surrounding_bytes() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        mem.fill(0, 64, (byte) 0x55);
        byte[] src = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        mem.write(3, src, 0, src.length);
        byte[] back = new byte[16];
        mem.read(0, back, 0, 16);
        assertArrayEquals(new byte[] {0x55, 0x55, 0x55, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x55, 0x55}, back);
    }

    @Test
    void a_memory_too_large_for_its_chunk_table_is_refused_naming_the_size() {
        long size = 1L << 52; // 2^31 chunks of 2 MiB
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(size));
        assertTrue(e.getMessage().contains("size=" + size), e.getMessage());
    }

    @Test
    void compare_and_set_acts_on_the_word_at_its_address() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        assertTrue(mem.compareAndSetLong(4096 + 24, 0, 0x1234));
        assertEquals(0x1234, mem.readLong(4096 + 24));
        assertEquals(0, mem.readLong(4096 + 16));
        assertEquals(0, mem.readLong(4096 + 32));
        assertFalse(mem.compareAndSetLong(4096 + 24, 0, 5));
        assertTrue(mem.compareAndSetLong(4096 + 24, 0x1234, 5));
        assertEquals(5, mem.readLong(4096 + 24));
        byte[] all = new byte[4096];
        mem.read(4096, all, 0, all.length);
        byte[] want = new byte[4096];
        want[24] = 5;
        assertArrayEquals(want, all);
    }

    @Test
    void fill_sets_exactly_its_range_across_frames() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        byte[] ones = new byte[3 * 4096];
        java.util.Arrays.fill(ones, (byte) 1);
        mem.write(4096, ones, 0, ones.length);
        mem.fill(4096 + 10, 2 * 4096 + 20, (byte) 7); // from inside frame 1 to inside frame 3
        byte[] got = new byte[3 * 4096];
        mem.read(4096, got, 0, got.length);
        for (int i = 0; i < got.length; i++) {
            byte want = i >= 10 && i < 10 + 2 * 4096 + 20 ? (byte) 7 : (byte) 1;
            assertEquals(want, got[i], "byte " + i);
        }
        mem.fill(4096 + 5, 3, (byte) 0); // zero fills a touched frame too
        assertEquals(1, mem.readByte(4096 + 4));
        assertEquals(0, mem.readByte(4096 + 7));
        assertEquals(1, mem.readByte(4096 + 8));
        assertEquals(3, mem.framesInUse()); // frames 1..3 only
    }

    @Test
    void a_bulk_read_or_byte_write_outside_memory_is_refused_and_changes_nothing() {
        PhysicalMemory mem = new PhysicalMemory(MIB);
        byte[] dst = {9, 9, 9, 9};
        PhysicalAddressException e = assertThrows(PhysicalAddressException.class,
                () -> mem.read(MIB - 2, dst, 0, 4));
        assertEquals(MIB - 2, e.paddr());
        assertArrayEquals(new byte[] {9, 9, 9, 9}, dst);
        assertThrows(PhysicalAddressException.class, () -> mem.read(MIB, dst, 0, 1));
        e = assertThrows(PhysicalAddressException.class, () -> mem.writeByte(MIB, (byte) 1));
        assertEquals(MIB, e.paddr());
        assertThrows(PhysicalAddressException.class, () -> mem.writeByte(-1, (byte) 1));
        assertEquals(0, mem.framesInUse());
    }
}

package org.dmalib.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * A CPU thread writes version after version of a two-line buffer, each version one fabric
 * transaction (a store of both lines, or another coherent master's write of both), and moves it
 * between its cache, the in-flight write-backs and RAM at random (clean, clean+invalidate,
 * invalidate after a write-back, barrier); a device thread reads the buffer coherently meanwhile.
 * Every read must be one version whole (the transactions are atomic to a coherent reader) and
 * at least the newest version whose transaction returned before the read began (a read sees the
 * newest data), and a reader's versions never go back.
 *
 * <p>CI runs {@value #DEFAULT_ROUNDS} versions (well under a second); a longer run:
 * {@code -Ddmalib.hw.readStressRounds=5000000}.
 */
class CoherentReadConcurrencyTest {
    private static final int DEFAULT_ROUNDS = 20_000;
    private static final long BUF = 0x40000;
    private static final int LEN = 128; // two 64-byte lines of one page
    private static final int WORDS = LEN / Long.BYTES;

    private final PhysicalMemory ram = new PhysicalMemory(1L << 20);
    private final CoherenceFabric fabric = new CoherenceFabric(ram, CacheGeometry.DEFAULT, 2,
            new HwStats());
    // the newest version whose writing transaction has returned
    private final AtomicLong published = new AtomicLong();
    private volatile boolean done;

    /** Version {@code v} of the buffer: word i holds {@code v * WORDS + i}. */
    private static byte[] version(long v) {
        ByteBuffer b = ByteBuffer.allocate(LEN).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < WORDS; i++) {
            b.putLong(v * WORDS + i);
        }
        return b.array();
    }

    @Test
    void every_read_is_one_whole_version_and_never_older_than_the_last_one_written() throws Exception {
        int rounds = Integer.getInteger("dmalib.hw.readStressRounds", DEFAULT_ROUNDS);
        ram.write(BUF, version(0), 0, LEN);
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> writer = pool.submit(() -> write(rounds, start));
            Future<Long> reader = pool.submit(() -> read(start));
            writer.get(5, TimeUnit.MINUTES);
            long reads = reader.get(1, TimeUnit.MINUTES);
            assertTrue(reads > 0, "the device read at least once");
        } finally {
            done = true;
            pool.shutdownNow();
        }
        byte[] last = new byte[LEN];
        fabric.dmaRead(BUF, last, 0, LEN);
        assertEquals(ByteBuffer.wrap(version(rounds)), ByteBuffer.wrap(last));
    }

    private Void write(int rounds, CyclicBarrier start) throws Exception {
        Random random = new Random(7);
        start.await();
        try {
            for (long v = 1; v <= rounds; v++) {
                byte[] data = version(v);
                if (random.nextInt(4) == 0) {
                    fabric.dmaWrite(BUF, data, 0, LEN); // another master: RAM, CPU copies dropped
                } else {
                    fabric.cpuStore(0, BUF, data, 0, LEN); // both lines dirty in CPU 0's cache
                }
                published.set(v);
                switch (random.nextInt(5)) {
                    case 0 -> fabric.cleanRange(0, BUF, LEN); // cached clean, data in flight
                    case 1 -> fabric.cleanInvalidateRange(0, BUF, LEN); // only in flight
                    case 2 -> {
                        fabric.cleanInvalidateRange(0, BUF, LEN);
                        fabric.barrier(0); // in RAM, no cache holds the page
                    }
                    case 3 -> fabric.barrier(0);
                    default -> { } // left where the write put it
                }
            }
        } finally {
            done = true;
        }
        return null;
    }

    private long read(CyclicBarrier start) throws Exception {
        byte[] got = new byte[LEN];
        ByteBuffer view = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
        long previous = 0;
        long reads = 0;
        start.await();
        while (!done) {
            long atLeast = published.get();
            fabric.dmaRead(BUF, got, 0, LEN);
            long v = view.getLong(0) / WORDS;
            for (int i = 0; i < WORDS; i++) {
                assertEquals(v * WORDS + i, view.getLong(i * Long.BYTES),
                        "word " + i + " of a read of version " + v + " is of another version");
            }
            assertTrue(v >= atLeast, "read version " + v + " after version " + atLeast + " was written");
            assertTrue(v >= previous, "read version " + v + " after reading version " + previous);
            previous = v;
            reads++;
        }
        return reads;
    }
}

package org.dmalib.hw;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The machine's RAM: a flat physical address space of a fixed size, stored sparsely.
 *
 * <p>Memory is kept in 4 KiB frames grouped into 2 MiB chunks; a frame costs heap only once it
 * has been written, so a 16 GiB machine whose software touches a few MiB stays small. An
 * untouched byte reads as zero.
 *
 * <p>This is what DMA masters on non-coherent streams see: it knows nothing of CPU caches. CPUs
 * reach it through their caches ({@link Cpu}).
 *
 * <p>Thread-safety: safe for concurrent use. Byte and bulk accesses are plain (no ordering
 * between threads beyond what the caller establishes); aligned 64-bit accesses are single-copy
 * atomic, and {@link #compareAndSetLong} is a volatile compare-and-set, so page-table code can
 * install entries lock-free. Little-endian, as arm64 runs.
 */
public final class PhysicalMemory {
    /** Size of a frame, the unit of sparse allocation: the 4 KiB base page. */
    public static final int FRAME_SIZE = 4096;

    /**
     * The largest memory, 2^48 bytes (256 TiB): arm64's physical address size without
     * FEAT_LPA/LPA2, and the largest output address size of the SMMU model (SMMU_IDR5.OAS). Its
     * table of 2 MiB chunks is 2^27 references; without this bound, a larger size failed only
     * when the heap could not hold its table (an OutOfMemoryError, not a named value).
     */
    static final long MAX_SIZE = 1L << 48;

    private static final int FRAME_SHIFT = 12;
    private static final int WORDS_PER_FRAME = FRAME_SIZE / Long.BYTES;
    // 512 frames of 4 KiB per chunk = 2 MiB: a chunk's frame table costs 2 KiB of references,
    // so even a 64 GiB machine's top-level table is only 32 Ki references.
    private static final int CHUNK_SHIFT = 9;
    private static final int FRAMES_PER_CHUNK = 1 << CHUNK_SHIFT;

    // frames are long[] so that aligned words support opaque and CAS access on every JDK
    // (byte-array views lost their atomic access modes in JDK 22, JDK-8318966)
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    // plain little-endian word view of caller byte arrays, for bulk copies
    private static final VarHandle BYTES_AS_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    // what an untouched frame reads as; never written, never handed out: copying from it is
    // about twice as fast as Arrays.fill for small reads (fill is a byte loop without OptimizeFill)
    private static final byte[] ZERO_FRAME = new byte[FRAME_SIZE];

    private final long size;
    private final AtomicReferenceArray<AtomicReferenceArray<long[]>> chunks;

    /**
     * Creates memory of {@code size} bytes, all zero.
     *
     * @param size the size in bytes: positive, a multiple of {@link #FRAME_SIZE}, at most 2^48
     * @throws IllegalArgumentException if {@code size} is not positive, not frame-aligned or
     *     above 2^48
     */
    public PhysicalMemory(long size) {
        if (size <= 0 || (size & (FRAME_SIZE - 1)) != 0) {
            throw new IllegalArgumentException(
                    "memory size=" + size + " must be positive and a multiple of " + FRAME_SIZE);
        }
        if (size > MAX_SIZE) {
            throw new IllegalArgumentException("memory size=" + size
                    + " is too large: at most 2^48 (48-bit physical addresses)");
        }
        long frames = size >>> FRAME_SHIFT;
        long chunkCount = (frames + FRAMES_PER_CHUNK - 1) >>> CHUNK_SHIFT;
        this.size = size;
        this.chunks = new AtomicReferenceArray<>((int) chunkCount);
    }

    /** {@return the size of memory in bytes} */
    public long size() {
        return size;
    }

    /** {@return how many 4 KiB frames hold data (have been written at least once)} */
    public long framesInUse() {
        long n = 0;
        for (int c = 0; c < chunks.length(); c++) {
            AtomicReferenceArray<long[]> chunk = chunks.get(c);
            if (chunk != null) {
                for (int f = 0; f < FRAMES_PER_CHUNK; f++) {
                    if (chunk.get(f) != null) {
                        n++;
                    }
                }
            }
        }
        return n;
    }

    /**
     * Checks that {@code [paddr, paddr + length)} lies inside memory.
     *
     * @param paddr the first physical address
     * @param length the length in bytes, not negative
     * @throws IllegalArgumentException if {@code length} is negative (a bad length, not a bad
     *     address: not a {@link PhysicalAddressException})
     * @throws PhysicalAddressException if any byte of the range is outside memory
     */
    public void checkRange(long paddr, long length) {
        if (paddr < 0 || length < 0 || paddr > size - length) {
            throw refusal(paddr, length);
        }
    }

    /** The exception {@link #checkRange} throws: out of line, so the check itself stays small. */
    private IllegalArgumentException refusal(long paddr, long length) {
        if (length < 0) {
            return new IllegalArgumentException(String.format(
                    "length=%d must not be negative (paddr=0x%x)", length, paddr));
        }
        return new PhysicalAddressException(String.format(
                "physical range paddr=0x%x length=%d is outside memory of size 0x%x",
                paddr, length, size), paddr, length);
    }

    /**
     * Reads one byte.
     *
     * @param paddr the physical address
     * @return the byte
     * @throws PhysicalAddressException if {@code paddr} is outside memory
     */
    public byte readByte(long paddr) {
        checkRange(paddr, 1);
        long[] frame = frameOrNull(paddr);
        return frame == null ? 0 : (byte) (wordAt(frame, paddr) >>> shiftOf(paddr));
    }

    /**
     * Writes one byte.
     *
     * @param paddr the physical address
     * @param value the byte
     * @throws PhysicalAddressException if {@code paddr} is outside memory
     */
    public void writeByte(long paddr, byte value) {
        checkRange(paddr, 1);
        storeBytes(frame(paddr), paddr, value & 0xffL, 0xffL);
    }

    /**
     * Reads an aligned 64-bit little-endian word (single-copy atomic).
     *
     * @param paddr the physical address, a multiple of 8
     * @return the word
     * @throws PhysicalAddressException if {@code paddr} is misaligned or outside memory
     */
    public long readLong(long paddr) {
        checkAligned(paddr);
        long[] frame = frameOrNull(paddr);
        return frame == null ? 0 : wordAt(frame, paddr);
    }

    /**
     * Writes an aligned 64-bit little-endian word (single-copy atomic).
     *
     * @param paddr the physical address, a multiple of 8
     * @param value the word
     * @throws PhysicalAddressException if {@code paddr} is misaligned or outside memory
     */
    public void writeLong(long paddr, long value) {
        checkAligned(paddr);
        WORDS.setOpaque(frame(paddr), offset(paddr) >>> 3, value);
    }

    /**
     * Atomically sets the aligned word at {@code paddr} to {@code update} if it holds
     * {@code expected}, with volatile (sequentially consistent) memory semantics.
     *
     * @param paddr the physical address, a multiple of 8
     * @param expected the value the word must hold
     * @param update the new value
     * @return whether the word was updated
     * @throws PhysicalAddressException if {@code paddr} is misaligned or outside memory
     */
    public boolean compareAndSetLong(long paddr, long expected, long update) {
        checkAligned(paddr);
        long[] frame = frameOrNull(paddr);
        if (frame == null) {
            if (expected != 0) {
                // an untouched frame's word reads as zero now: the CAS fails here, and must not
                // allocate the frame (framesInUse counts frames written, and this writes none)
                return false;
            }
            frame = frame(paddr);
        }
        return WORDS.compareAndSet(frame, offset(paddr) >>> 3, expected, update);
    }

    /**
     * Copies {@code length} bytes of memory starting at {@code paddr} into {@code dst}.
     *
     * @param paddr the first physical address
     * @param dst the destination array
     * @param dstOffset where in {@code dst} to start
     * @param length how many bytes, not negative
     * @throws IllegalArgumentException if {@code length} is negative (nothing is copied)
     * @throws PhysicalAddressException if the range is outside memory (nothing is copied)
     * @throws IndexOutOfBoundsException if the array range is invalid (nothing is copied)
     */
    public void read(long paddr, byte[] dst, int dstOffset, int length) {
        checkRange(paddr, length);
        java.util.Objects.checkFromIndexSize(dstOffset, length, dst.length);
        int done = 0;
        while (done < length) {
            long a = paddr + done;
            int off = offset(a);
            int n = Math.min(length - done, FRAME_SIZE - off);
            long[] frame = frameOrNull(a);
            if (frame == null) {
                System.arraycopy(ZERO_FRAME, 0, dst, dstOffset + done, n); // the vectorised copy
            } else {
                copyOut(frame, off, dst, dstOffset + done, n);
            }
            done += n;
        }
    }

    /**
     * Copies {@code length} bytes from {@code src} into memory starting at {@code paddr}.
     *
     * @param paddr the first physical address
     * @param src the source array
     * @param srcOffset where in {@code src} to start
     * @param length how many bytes, not negative
     * @throws IllegalArgumentException if {@code length} is negative (nothing is written)
     * @throws PhysicalAddressException if the range is outside memory (nothing is written)
     * @throws IndexOutOfBoundsException if the array range is invalid (nothing is written)
     */
    public void write(long paddr, byte[] src, int srcOffset, int length) {
        checkRange(paddr, length);
        java.util.Objects.checkFromIndexSize(srcOffset, length, src.length);
        int done = 0;
        while (done < length) {
            long a = paddr + done;
            int off = offset(a);
            int n = Math.min(length - done, FRAME_SIZE - off);
            copyIn(src, srcOffset + done, frame(a), off, n);
            done += n;
        }
    }

    /**
     * Sets {@code length} bytes starting at {@code paddr} to {@code value}.
     *
     * @param paddr the first physical address
     * @param length how many bytes, not negative
     * @param value the byte to store
     * @throws IllegalArgumentException if {@code length} is negative (nothing is written)
     * @throws PhysicalAddressException if the range is outside memory (nothing is written)
     */
    public void fill(long paddr, long length, byte value) {
        checkRange(paddr, length);
        long done = 0;
        while (done < length) {
            long a = paddr + done;
            int off = offset(a);
            int n = (int) Math.min(length - done, FRAME_SIZE - off);
            if (value == 0 && frameOrNull(a) == null) {
                done += n; // an untouched frame already reads as zero: keep it sparse
                continue;
            }
            long[] frame = frame(a);
            for (int i = 0; i < n; i++) {
                storeBytes(frame, a + i, value & 0xffL, 0xffL);
            }
            done += n;
        }
    }

    private void checkAligned(long paddr) {
        checkRange(paddr, Long.BYTES);
        if ((paddr & (Long.BYTES - 1)) != 0) {
            throw new PhysicalAddressException(String.format(
                    "64-bit access at paddr=0x%x is not 8-byte aligned", paddr), paddr, Long.BYTES);
        }
    }

    private static int offset(long paddr) {
        return (int) (paddr & (FRAME_SIZE - 1));
    }

    private static int shiftOf(long paddr) {
        return (int) (paddr & 7) * 8; // little-endian: byte k of a word is bits 8k..8k+7
    }

    private static long wordAt(long[] frame, long paddr) {
        return (long) WORDS.getOpaque(frame, offset(paddr) >>> 3);
    }

    /** Replaces the bits {@code mask << shift} of the word holding {@code paddr}, atomically. */
    private static void storeBytes(long[] frame, long paddr, long bits, long mask) {
        int w = offset(paddr) >>> 3;
        int shift = shiftOf(paddr);
        long old;
        long updated;
        // a CAS loop so that concurrent writers of other bytes in the same word lose nothing
        do {
            old = (long) WORDS.getVolatile(frame, w);
            updated = (old & ~(mask << shift)) | (bits << shift);
        } while (!WORDS.compareAndSet(frame, w, old, updated));
    }

    private static void copyOut(long[] frame, int off, byte[] dst, int dstOff, int n) {
        int i = 0;
        while (i < n && ((off + i) & 7) != 0) {
            dst[dstOff + i] = (byte) (frame[(off + i) >>> 3] >>> (((off + i) & 7) * 8));
            i++;
        }
        for (; i + Long.BYTES <= n; i += Long.BYTES) {
            BYTES_AS_LONG.set(dst, dstOff + i, frame[(off + i) >>> 3]); // plain: a bulk copy
        }
        for (; i < n; i++) {
            dst[dstOff + i] = (byte) (frame[(off + i) >>> 3] >>> (((off + i) & 7) * 8));
        }
    }

    private static void copyIn(byte[] src, int srcOff, long[] frame, int off, int n) {
        int i = 0;
        while (i < n && ((off + i) & 7) != 0) {
            storeBytes(frame, off + i, src[srcOff + i] & 0xffL, 0xffL);
            i++;
        }
        for (; i + Long.BYTES <= n; i += Long.BYTES) {
            WORDS.setOpaque(frame, (off + i) >>> 3, (long) BYTES_AS_LONG.get(src, srcOff + i));
        }
        for (; i < n; i++) {
            storeBytes(frame, off + i, src[srcOff + i] & 0xffL, 0xffL);
        }
    }

    private long[] frameOrNull(long paddr) {
        long frameNo = paddr >>> FRAME_SHIFT;
        AtomicReferenceArray<long[]> chunk = chunks.get((int) (frameNo >>> CHUNK_SHIFT));
        return chunk == null ? null : chunk.get((int) (frameNo & (FRAMES_PER_CHUNK - 1)));
    }

    private long[] frame(long paddr) {
        long frameNo = paddr >>> FRAME_SHIFT;
        int c = (int) (frameNo >>> CHUNK_SHIFT);
        AtomicReferenceArray<long[]> chunk = chunks.get(c);
        if (chunk == null) {
            // first touch races are settled by CAS: the loser adopts the winner's chunk
            chunks.compareAndSet(c, null, new AtomicReferenceArray<>(FRAMES_PER_CHUNK));
            chunk = chunks.get(c);
        }
        int f = (int) (frameNo & (FRAMES_PER_CHUNK - 1));
        long[] frame = chunk.get(f);
        if (frame == null) {
            // as for the chunk: a racing first touch adopts the frame that won
            chunk.compareAndSet(f, null, new long[WORDS_PER_FRAME]);
            frame = chunk.get(f);
        }
        return frame;
    }
}

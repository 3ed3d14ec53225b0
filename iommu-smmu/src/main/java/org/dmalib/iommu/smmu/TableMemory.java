package org.dmalib.iommu.smmu;

import java.util.Arrays;
import java.util.Objects;
import org.dmalib.hw.Machine;
import org.dmalib.hw.PhysicalMemory;

/**
 * A physical memory region reserved for IOMMU page tables, stream tables and queues, handing out
 * naturally aligned blocks of power-of-two sizes (what {@code io-pgtable} gets from the kernel's
 * page allocator).
 *
 * <p>Blocks come from a bump pointer; a freed block goes on a free list of its size and is
 * handed out again, most recently freed first, before the bump pointer moves. Once the bump
 * pointer has no room left, a request with an empty free list splits the smallest larger free
 * block, as the kernel's buddy allocator does: the request gets its first part, and the rest
 * goes to the free lists of the sizes that tile it (pieces are not merged again). The memory of a
 * block is not cleared here: page-table code zeroes a new table through the CPU, as Linux does.
 * Which blocks are allocated, and with which size, is recorded so that every free is checked:
 * blocks of 4 KiB and more in a byte per 4 KiB frame of the region (dense, so that freeing
 * thousands of tables touches few host cache lines), smaller ones in a byte per 64-byte slot
 * (kept in 2 MiB chunks made on first use).
 *
 * <p>Thread-safety: safe for concurrent use. Each call holds the region's lock for a few array
 * operations (the kernel's zone lock); {@link #freeAll} frees a whole batch under one hold, which
 * is what makes tearing down thousands of tables cheap.
 */
public final class TableMemory {
    /** Smallest block: 64 bytes, the hardware's minimum table alignment (reference §4.2). */
    public static final int MIN_BLOCK = 64;
    /** Largest block: 64 KiB, a table of the largest granule. */
    public static final int MAX_BLOCK = 64 * 1024;

    private static final int MIN_SHIFT = 6;  // log2(MIN_BLOCK)
    private static final int SIZES = 11;     // 64 B .. 64 KiB
    // 2^15 slots of 64 B = 2 MiB of region per chunk of the size map (32 KiB of heap)
    private static final int CHUNK_SHIFT = 15;
    private static final int CHUNK_SLOTS = 1 << CHUNK_SHIFT;
    private static final byte FREE = 0;      // size map value: no block starts at this slot
    private static final int FRAME_SHIFT = 12; // 4 KiB: blocks this big are in the frame map
    private static final int FRAME_CLASS = FRAME_SHIFT - MIN_SHIFT;

    private final PhysicalMemory ram;
    private final long base;
    private final long size;
    // everything below is guarded by this
    private long next;
    private final long[][] freeLists = new long[SIZES][];
    private final int[] freeCounts = new int[SIZES];
    // per 64 B slot: FREE, or 1 + the size class of the live block under 4 KiB starting there
    private final byte[][] sizeMap;
    // per 4 KiB frame: FREE, or 1 + the size class of the live block of 4 KiB+ starting there
    private final byte[] frameMap;
    private long bytesInUse;
    private int blocksInUse;

    private TableMemory(PhysicalMemory ram, long base, long size) {
        this.ram = ram;
        this.base = base;
        this.size = size;
        this.next = base;
        for (int i = 0; i < SIZES; i++) {
            freeLists[i] = new long[16];
        }
        long slots = size >>> MIN_SHIFT;
        this.sizeMap = new byte[(int) ((slots + CHUNK_SLOTS - 1) >>> CHUNK_SHIFT)][];
        this.frameMap = new byte[(int) (size >>> FRAME_SHIFT)];
    }

    /**
     * Reserves {@code [base, base + size)} of {@code machine}'s memory for tables. The caller
     * keeps every other user out of the region.
     *
     * @param machine the machine whose RAM holds the region
     * @param base first byte: a multiple of {@link #MAX_BLOCK}
     * @param size bytes: positive, a multiple of {@link #MAX_BLOCK}, inside memory
     * @return the region
     * @throws IllegalArgumentException naming the bad value
     */
    public static TableMemory of(Machine machine, long base, long size) {
        Objects.requireNonNull(machine, "machine");
        if (base < 0 || base % MAX_BLOCK != 0) {
            throw new IllegalArgumentException(String.format(
                    "base=0x%x must be a non-negative multiple of 0x%x", base, MAX_BLOCK));
        }
        if (size <= 0 || size % MAX_BLOCK != 0) {
            throw new IllegalArgumentException(String.format(
                    "size=0x%x must be a positive multiple of 0x%x", size, MAX_BLOCK));
        }
        machine.memory().checkRange(base, size);
        if ((size >>> FRAME_SHIFT) >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format("size=0x%x is too large", size));
        }
        return new TableMemory(machine.memory(), base, size);
    }

    /**
     * Returns the RAM the region lies in: the driver's non-cacheable alias for stream tables,
     * context descriptors and queues (what {@code dma_alloc_coherent} hands a driver).
     */
    PhysicalMemory ram() {
        return ram;
    }

    /** {@return the region's first byte} */
    public long base() {
        return base;
    }

    /** {@return the region's size in bytes} */
    public long size() {
        return size;
    }

    /** {@return the bytes currently allocated} */
    public synchronized long bytesInUse() {
        return bytesInUse;
    }

    /** {@return the number of blocks currently allocated} */
    public synchronized int blocksInUse() {
        return blocksInUse;
    }

    /**
     * Allocates a block of {@code bytes}, aligned to its size.
     *
     * @param bytes a power of two from {@link #MIN_BLOCK} to {@link #MAX_BLOCK}
     * @return the block's physical address
     * @throws IllegalArgumentException if {@code bytes} is not such a size
     * @throws PageTableMemoryException if the region is exhausted (nothing is allocated)
     */
    public synchronized long allocate(int bytes) {
        int cls = sizeClass(bytes);
        long paddr = freeCounts[cls] > 0 ? freeLists[cls][--freeCounts[cls]] : bumpOrSplit(cls);
        setSize(paddr, cls, (byte) (cls + 1));
        bytesInUse += bytes;
        blocksInUse++;
        return paddr;
    }

    /**
     * Returns a block to the region.
     *
     * @param paddr the address {@link #allocate} returned
     * @param bytes the size it was allocated with
     * @throws IllegalArgumentException if {@code bytes} is not a block size
     * @throws PageTableMemoryException if no such block is allocated (nothing is freed)
     */
    public synchronized void free(long paddr, int bytes) {
        int cls = sizeClass(bytes);
        if (!isLive(paddr, bytes, cls)) {
            throw notAllocated(paddr, bytes);
        }
        setSize(paddr, cls, FREE);
        push(cls, paddr);
        bytesInUse -= bytes;
        blocksInUse--;
    }

    /**
     * Returns {@code count} blocks of the same size to the region, under one hold of the lock:
     * the table tree of a torn-down domain. Either every block is freed or none is.
     *
     * @param paddrs the blocks' addresses, as {@link #allocate} returned them; only
     *     {@code paddrs[0 .. count)} is read
     * @param count how many: from 0 to {@code paddrs.length}
     * @param bytes the size all of them were allocated with
     * @throws IllegalArgumentException if {@code bytes} is not a block size or {@code count} is
     *     out of range
     * @throws PageTableMemoryException naming the first block that is not allocated, or is
     *     listed twice; nothing is freed
     */
    public synchronized void freeAll(long[] paddrs, int count, int bytes) {
        int cls = sizeClass(bytes);
        if (count < 0 || count > paddrs.length) {
            throw new IllegalArgumentException(
                    "count=" + count + " must be from 0 to paddrs.length=" + paddrs.length);
        }
        for (int i = 0; i < count; i++) {
            if (!isLive(paddrs[i], bytes, cls)) {
                for (int j = 0; j < i; j++) {
                    setSize(paddrs[j], cls, (byte) (cls + 1)); // undo: nothing was freed
                }
                throw notAllocated(paddrs[i], bytes);
            }
            // cleared as it is checked, so that a block listed twice fails its second check
            setSize(paddrs[i], cls, FREE);
        }
        for (int i = 0; i < count; i++) {
            push(cls, paddrs[i]);
        }
        bytesInUse -= (long) count * bytes;
        blocksInUse -= count;
    }

    /** Whether a block of class {@code cls} ({@code bytes}) is allocated at {@code paddr}. */
    private boolean isLive(long paddr, int bytes, int cls) {
        return paddr >= base && paddr < base + size && (paddr & (bytes - 1)) == 0
                && sizeAt(paddr, cls) == cls + 1;
    }

    private static PageTableMemoryException notAllocated(long paddr, int bytes) {
        return new PageTableMemoryException(String.format(
                "free of paddr=0x%x bytes=%d: no such table block is allocated", paddr, bytes));
    }

    private void push(int cls, long paddr) {
        if (freeCounts[cls] == freeLists[cls].length) {
            freeLists[cls] = Arrays.copyOf(freeLists[cls], freeCounts[cls] * 2);
        }
        freeLists[cls][freeCounts[cls]++] = paddr;
    }

    /** Puts {@code paddr} at the far end of its free list: handed out after every other. */
    private void pushLast(int cls, long paddr) {
        push(cls, paddr);
        long[] list = freeLists[cls];
        System.arraycopy(list, 0, list, 1, freeCounts[cls] - 1);
        list[0] = paddr;
    }

    /**
     * A block of class {@code cls} from the bump pointer, or else split from the smallest larger
     * free block: its first part, the other parts (one of each size from {@code cls} up) going
     * to their free lists. Changes nothing if neither has room.
     */
    private long bumpOrSplit(int cls) {
        int bytes = MIN_BLOCK << cls;
        long aligned = (next + bytes - 1) & -(long) bytes;
        if (aligned + bytes <= base + size) {
            return bump(bytes, aligned);
        }
        for (int c = cls + 1; c < SIZES; c++) {
            if (freeCounts[c] > 0) {
                long block = freeLists[c][--freeCounts[c]];
                // the upper half of each split is a free block of the size below it
                for (int k = c - 1; k >= cls; k--) {
                    push(k, block + ((long) MIN_BLOCK << k));
                }
                return block;
            }
        }
        throw new PageTableMemoryException(String.format(
                "table memory [0x%x, 0x%x) exhausted: no block of bytes=%d left",
                base, base + size, bytes));
    }

    private long bump(int bytes, long aligned) {
        // the alignment gap goes to the free lists of the sizes that tile it exactly
        long a = next;
        while (a < aligned) {
            int b = Long.numberOfTrailingZeros(a);
            long blk = Math.min(1L << Math.min(b, 16), Long.highestOneBit(aligned - a));
            if (blk >= MIN_BLOCK) {
                pushLast(Long.numberOfTrailingZeros(blk) - MIN_SHIFT, a);
            }
            a += blk;
        }
        next = aligned + bytes;
        return aligned;
    }

    /** The chunk of the size map that covers {@code paddr}, inside the region. */
    private int chunkOf(long paddr) {
        return (int) ((paddr - base) >>> MIN_SHIFT >>> CHUNK_SHIFT);
    }

    /** The slot of {@code paddr} in its chunk. */
    private int slotOf(long paddr) {
        return (int) (((paddr - base) >>> MIN_SHIFT) & (CHUNK_SLOTS - 1));
    }

    /** The size map entry of a block of class {@code cls} at {@code paddr}, inside the region. */
    private byte sizeAt(long paddr, int cls) {
        if (cls >= FRAME_CLASS) {
            return frameMap[(int) ((paddr - base) >>> FRAME_SHIFT)];
        }
        byte[] chunk = sizeMap[chunkOf(paddr)];
        return chunk == null ? FREE : chunk[slotOf(paddr)];
    }

    private void setSize(long paddr, int cls, byte value) {
        if (cls >= FRAME_CLASS) {
            frameMap[(int) ((paddr - base) >>> FRAME_SHIFT)] = value;
            return;
        }
        int c = chunkOf(paddr);
        if (sizeMap[c] == null) {
            sizeMap[c] = new byte[CHUNK_SLOTS];
        }
        sizeMap[c][slotOf(paddr)] = value;
    }

    private static int sizeClass(int bytes) {
        if (bytes < MIN_BLOCK || bytes > MAX_BLOCK || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException(
                    "bytes=" + bytes + " must be a power of two from 64 to 65536");
        }
        return Integer.numberOfTrailingZeros(bytes) - MIN_SHIFT;
    }
}

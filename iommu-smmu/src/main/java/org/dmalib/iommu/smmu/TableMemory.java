package org.dmalib.iommu.smmu;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.dmalib.hw.Machine;
import org.dmalib.hw.PhysicalMemory;

/**
 * A physical memory region reserved for IOMMU page tables, stream tables and queues, handing out
 * naturally aligned blocks of power-of-two sizes (what {@code io-pgtable} gets from the kernel's
 * page allocator).
 *
 * <p>Blocks come from a bump pointer; a freed block goes on a free list of its size and is
 * handed out again before the bump pointer moves. The memory of a block is not cleared here:
 * page-table code zeroes a new table through the CPU, as Linux does.
 *
 * <p>Thread-safety: safe for concurrent use without locks (page tables grow lock-free from
 * several CPUs).
 */
public final class TableMemory {
    /** Smallest block: 64 bytes, the hardware's minimum table alignment (reference §4.2). */
    public static final int MIN_BLOCK = 64;
    /** Largest block: 64 KiB, a table of the largest granule. */
    public static final int MAX_BLOCK = 64 * 1024;

    private static final int MIN_SHIFT = 6;  // log2(MIN_BLOCK)
    private static final int SIZES = 11;     // 64 B .. 64 KiB

    private final PhysicalMemory ram;
    private final long base;
    private final long size;
    private final AtomicLong next;
    private final AtomicReferenceArray<ConcurrentLinkedDeque<Long>> freeLists =
            new AtomicReferenceArray<>(SIZES);
    private final Map<Long, Integer> live = new ConcurrentHashMap<>();
    private final AtomicLong bytesInUse = new AtomicLong();

    private TableMemory(PhysicalMemory ram, long base, long size) {
        this.ram = ram;
        this.base = base;
        this.size = size;
        this.next = new AtomicLong(base);
        for (int i = 0; i < SIZES; i++) {
            freeLists.set(i, new ConcurrentLinkedDeque<>());
        }
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
        return new TableMemory(machine.memory(), base, size);
    }

    /**
     * Returns the RAM the region lies in: the driver's non-cacheable alias for stream tables,
     * context descriptors and queues (what {@code dma_alloc_coherent} hands a driver).
     */
    PhysicalMemory ram() {
        return ram;
    }

    /** Returns the region's first byte. */
    public long base() {
        return base;
    }

    /** Returns the region's size in bytes. */
    public long size() {
        return size;
    }

    /** Returns the bytes currently allocated. */
    public long bytesInUse() {
        return bytesInUse.get();
    }

    /** Returns the number of blocks currently allocated. */
    public int blocksInUse() {
        return live.size();
    }

    /**
     * Allocates a block of {@code bytes}, aligned to its size.
     *
     * @param bytes a power of two from {@link #MIN_BLOCK} to {@link #MAX_BLOCK}
     * @return the block's physical address
     * @throws IllegalArgumentException if {@code bytes} is not such a size
     * @throws PageTableMemoryException if the region is exhausted (nothing is allocated)
     */
    public long allocate(int bytes) {
        int cls = sizeClass(bytes);
        Long reused = freeLists.get(cls).pollFirst();
        long paddr;
        if (reused != null) {
            paddr = reused;
        } else {
            paddr = bump(bytes);
        }
        live.put(paddr, bytes);
        bytesInUse.addAndGet(bytes);
        return paddr;
    }

    /**
     * Returns a block to the region.
     *
     * @param paddr the address {@link #allocate} returned
     * @param bytes the size it was allocated with
     * @throws PageTableMemoryException if no such block is allocated (nothing is freed)
     */
    public void free(long paddr, int bytes) {
        int cls = sizeClass(bytes);
        if (!live.remove(paddr, bytes)) {
            throw new PageTableMemoryException(String.format(
                    "free of paddr=0x%x bytes=%d: no such table block is allocated", paddr, bytes));
        }
        bytesInUse.addAndGet(-bytes);
        freeLists.get(cls).addFirst(paddr);
    }

    private long bump(int bytes) {
        while (true) {
            long cur = next.get();
            long aligned = (cur + bytes - 1) & -(long) bytes;
            if (aligned + bytes > base + size) {
                throw new PageTableMemoryException(String.format(
                        "table memory [0x%x, 0x%x) exhausted: no block of bytes=%d left",
                        base, base + size, bytes));
            }
            // the CAS hands each block to exactly one allocating thread
            if (next.compareAndSet(cur, aligned + bytes)) {
                // the alignment gap goes to the free lists of the sizes that tile it exactly
                release(cur, aligned);
                return aligned;
            }
        }
    }

    private void release(long from, long to) {
        long a = from;
        while (a < to) {
            int b = Long.numberOfTrailingZeros(a);
            long blk = Math.min(1L << Math.min(b, 16), Long.highestOneBit(to - a));
            if (blk >= MIN_BLOCK) {
                freeLists.get(Long.numberOfTrailingZeros(blk) - MIN_SHIFT).addLast(a);
            }
            a += blk;
        }
    }

    private static int sizeClass(int bytes) {
        if (bytes < MIN_BLOCK || bytes > MAX_BLOCK || Integer.bitCount(bytes) != 1) {
            throw new IllegalArgumentException(
                    "bytes=" + bytes + " must be a power of two from 64 to 65536");
        }
        return Integer.numberOfTrailingZeros(bytes) - MIN_SHIFT;
    }
}

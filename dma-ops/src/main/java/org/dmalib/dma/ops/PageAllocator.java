package org.dmalib.dma.ops;

import java.util.BitSet;
import org.dmalib.dma.ops.internal.bounce.BouncePool;
import org.dmalib.hw.Machine;

/**
 * The machine-wide physical page allocator drivers take buffers from, and the owner of the
 * low bounce pool (swiotlb's {@code io_tlb_default_mem}).
 *
 * <p>The composition root creates exactly one per machine (nothing else may hand out that
 * machine's memory) and gives it to every {@link DmaDevice}. At creation it reserves the bounce
 * pool at the bottom of physical memory, from address 0 (swiotlb allocates its pool from low
 * memory at boot so that devices with small DMA masks reach it); buffers come from the pages
 * above. Memory is handed out in whole {@link #PAGE_SIZE} pages, first fit.
 *
 * <p>Thread-safety: safe for concurrent use (allocation and free are serialized).
 */
public final class PageAllocator {
    /** The page size buffers are allocated in: 4 KiB, the CPU page. */
    public static final int PAGE_SIZE = 4096;

    /** The default bounce pool size: 64 MiB, swiotlb's {@code IO_TLB_DEFAULT_SIZE}. */
    public static final long DEFAULT_BOUNCE_POOL_SIZE = 64L << 20;

    // log2(PAGE_SIZE)
    private static final int PAGE_SHIFT = 12;

    private final Machine machine;
    private final BouncePool pool;
    private final int pages;
    private final int firstBufferPage;
    private final BitSet used;
    // guarded by this: pages handed out by reserveRegion, never freed (a subset of used)
    private final BitSet reserved;
    // guarded by this: pages of live coherent allocations (a subset of used)
    private final BitSet coherent;
    // guarded by this: pages handed out by reserveRegion, never freed
    private int reservedPages;
    private final DebugState debug;

    private PageAllocator(Machine machine, long bouncePoolSize) {
        this.machine = machine;
        long memorySize = machine.memory().size();
        if ((memorySize >>> PAGE_SHIFT) > Integer.MAX_VALUE) {
            throw new DmaUsageException("memorySize=" + memorySize + " has too many pages");
        }
        this.pages = (int) (memorySize >>> PAGE_SHIFT);
        this.pool = new BouncePool(0, bouncePoolSize);
        this.firstBufferPage = (int) (bouncePoolSize >>> PAGE_SHIFT);
        this.used = new BitSet(pages);
        this.reserved = new BitSet(pages);
        this.coherent = new BitSet(pages);
        this.debug = new DebugState(machine.config().cache().lineSize());
    }

    /**
     * Creates the allocator of {@code machine} with a {@link #DEFAULT_BOUNCE_POOL_SIZE 64 MiB}
     * bounce pool.
     *
     * @param machine the machine; no other allocator may exist for it
     * @return the allocator
     * @throws DmaUsageException if {@code machine} is null or has no memory above the pool
     */
    public static PageAllocator create(Machine machine) {
        return create(machine, DEFAULT_BOUNCE_POOL_SIZE);
    }

    /**
     * Creates the allocator of {@code machine} with a bounce pool of {@code bouncePoolSize}
     * bytes (small machines in tests want a small pool; 0 means no bouncing: a buffer above a
     * device's DMA mask then cannot be mapped).
     *
     * @param machine the machine; no other allocator may exist for it
     * @param bouncePoolSize bytes, a multiple of {@link #PAGE_SIZE}, smaller than memory
     * @return the allocator
     * @throws DmaUsageException naming the bad value
     */
    public static PageAllocator create(Machine machine, long bouncePoolSize) {
        Checks.notNull(machine, "machine");
        if (bouncePoolSize < 0 || (bouncePoolSize & (PAGE_SIZE - 1)) != 0
                || bouncePoolSize >= machine.memory().size()) {
            throw new DmaUsageException("bouncePoolSize=" + bouncePoolSize + " must be a multiple of "
                    + PAGE_SIZE + " and smaller than memorySize=" + machine.memory().size());
        }
        return new PageAllocator(machine, bouncePoolSize);
    }

    /** {@return the machine whose memory this allocator hands out} */
    public Machine machine() {
        return machine;
    }

    /** {@return the first physical address of the bounce pool (0)} */
    public long bouncePoolBase() {
        return pool.base();
    }

    /** {@return the bounce pool size in bytes} */
    public long bouncePoolSize() {
        return pool.size();
    }

    /** {@return how many 2 KiB bounce slots are in use now} */
    public int bounceSlotsInUse() {
        return pool.slotsInUse();
    }

    /** {@return how many pages are allocated to buffers now (reserved regions not counted)} */
    public synchronized int pagesInUse() {
        return used.cardinality() - reservedPages;
    }

    /** {@return how many pages {@link #reserveRegion} took out of the allocator for good} */
    public synchronized int pagesReserved() {
        return reservedPages;
    }

    /**
     * Takes {@code [base, base + size)} out of the allocator for good: the highest free run of
     * pages aligned to {@code align}, so that an IOMMU driver's table memory (for example
     * {@code TableMemory.of(machine, base, size)}) never overlaps a buffer or a coherent
     * allocation. The region is never handed out and cannot be freed.
     *
     * @param size bytes, positive, a multiple of {@link #PAGE_SIZE}
     * @param align bytes, a power of two, at least {@link #PAGE_SIZE}
     * @return the region's first physical address, a multiple of {@code align}
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if no aligned free run of that size exists above the bounce
     *     pool (nothing is reserved)
     */
    public synchronized long reserveRegion(long size, long align) {
        Checks.positive(size, "size");
        if ((size & (PAGE_SIZE - 1)) != 0) {
            throw new DmaUsageException("size=" + size + " must be a multiple of " + PAGE_SIZE);
        }
        if (Long.bitCount(align) != 1 || align < PAGE_SIZE) {
            throw new DmaUsageException(
                    "align=" + align + " must be a power of two of at least " + PAGE_SIZE);
        }
        long n = size >>> PAGE_SHIFT;
        long step = align >>> PAGE_SHIFT;
        if (n > pages - firstBufferPage) {
            throw new DmaMappingException(String.format(
                    "size=0x%x is larger than the memory above the bounce pool", size));
        }
        // top-down, so that buffers (first fit from the bottom) and tables stay apart
        for (long first = ((pages - n) / step) * step; first >= firstBufferPage; first -= step) {
            int busy = used.nextSetBit((int) first);
            if (busy < 0 || busy >= first + n) {
                used.set((int) first, (int) (first + n));
                reserved.set((int) first, (int) (first + n));
                reservedPages += (int) n;
                return first << PAGE_SHIFT;
            }
        }
        throw new DmaMappingException(String.format(
                "no free run of size=0x%x aligned to 0x%x above the bounce pool", size, align));
    }

    /**
     * Allocates a buffer of {@code size} bytes at the lowest free pages above the bounce pool.
     *
     * @param size bytes, positive (rounded up to whole pages)
     * @return the buffer, page aligned; its contents are whatever memory and caches hold
     * @throws DmaUsageException if {@code size} is not positive
     * @throws DmaMappingException if no run of free pages is large enough
     */
    public CpuBuffer allocate(int size) {
        return allocateAbove(0, size);
    }

    /**
     * Allocates a buffer of {@code size} bytes starting at or above physical address
     * {@code floor}: how a test places a buffer above a device's DMA mask (high memory).
     *
     * @param floor the lowest physical address the buffer may start at, not negative
     * @param size bytes, positive (rounded up to whole pages)
     * @return the buffer, page aligned
     * @throws DmaUsageException naming the bad value
     * @throws DmaMappingException if no run of free pages is large enough
     */
    public CpuBuffer allocateAbove(long floor, int size) {
        Checks.notNegative(floor, "floor");
        Checks.positive(size, "size");
        long first = Math.max(firstBufferPage, (floor + PAGE_SIZE - 1) >>> PAGE_SHIFT);
        return allocateIn(first, pages, size, 1);
    }

    /**
     * Allocates below {@code limit} (inclusive, unsigned): a coherent allocation within a DMA
     * mask ({@code GFP_DMA32}-style).
     */
    CpuBuffer allocateWithin(long limit, int size) {
        long lastPage = Long.compareUnsigned(limit, machine.memory().size() - 1) >= 0
                ? pages : (limit + 1) >>> PAGE_SHIFT;
        return allocateIn(firstBufferPage, lastPage, size, 1);
    }

    /**
     * Allocates {@code size} bytes at the lowest free pages above the bounce pool that start at
     * a multiple of {@code align}: dma-iommu's coherent pages, which come in whole IOVA granules
     * ({@code __iommu_dma_alloc_pages} allocates only orders of the domain's page sizes).
     *
     * @param size bytes, positive (rounded up to whole pages)
     * @param align bytes, a power of two, at least {@link #PAGE_SIZE}
     */
    CpuBuffer allocateAligned(int size, long align) {
        return allocateIn(firstBufferPage, pages, size, align >>> PAGE_SHIFT);
    }

    /**
     * Frees a buffer.
     *
     * @param buffer a buffer of this allocator, not freed yet
     * @throws DmaUsageException if {@code buffer} is null, of another allocator or freed already
     */
    public void free(CpuBuffer buffer) {
        Checks.notNull(buffer, "buffer");
        if (buffer.allocator() != this) {
            throw new DmaUsageException("buffer=" + buffer + " is not from this allocator");
        }
        synchronized (this) {
            buffer.markFreed();
            int first = (int) (buffer.paddr() >>> PAGE_SHIFT);
            used.clear(first, first + pageCount(buffer.size()));
        }
    }

    BouncePool pool() {
        return pool;
    }

    DebugState debug() {
        return debug;
    }

    /** Marks a buffer's pages as a live coherent allocation, or no longer one. */
    synchronized void setCoherent(CpuBuffer buffer, boolean isCoherent) {
        int first = (int) (buffer.paddr() >>> PAGE_SHIFT);
        coherent.set(first, first + pageCount(buffer.size()), isCoherent);
    }

    /**
     * dma-debug's {@code check_for_stack} / {@code check_for_illegal_area} / the linear-map
     * check, in this model's terms: which check a map of {@code [paddr, paddr + size)} breaks,
     * or null if all of it lies in buffer pages the allocator handed out. The range lies in
     * memory.
     */
    synchronized DebugCheck classify(long paddr, long size) {
        int first = (int) (paddr >>> PAGE_SHIFT);
        int end = (int) ((paddr + size - 1) >>> PAGE_SHIFT) + 1;
        if (first < firstBufferPage) {
            return DebugCheck.MAP_INVALID_AREA;
        }
        int r = reserved.nextSetBit(first);
        if (r >= 0 && r < end) {
            return DebugCheck.MAP_KERNEL_TEXT_OR_RODATA;
        }
        int c = coherent.nextSetBit(first);
        if (c >= 0 && c < end) {
            return DebugCheck.MAP_VMALLOC_AREA;
        }
        if (used.nextClearBit(first) < end) {
            return DebugCheck.MAP_STACK;
        }
        return null;
    }

    /**
     * First fit of {@code size} bytes in pages {@code [firstPage, endPage)}, starting at a
     * multiple of {@code step} pages (a power of two).
     */
    private synchronized CpuBuffer allocateIn(long firstPage, long endPage, int size, long step) {
        int n = pageCount(size);
        long i = firstPage;
        while (i + n <= endPage) {
            // the first free page, rounded up to the alignment (step is a power of two)
            long free = (used.nextClearBit((int) i) + step - 1) & -step;
            if (free + n > endPage) {
                break;
            }
            int busy = used.nextSetBit((int) free);
            if (busy < 0 || busy >= free + n) {
                used.set((int) free, (int) (free + n));
                return new CpuBuffer(this, free << PAGE_SHIFT, size);
            }
            i = busy;
        }
        throw new DmaMappingException(String.format(
                "no free run of pages=%d for size=%d in [0x%x, 0x%x)",
                n, size, firstPage << PAGE_SHIFT, endPage << PAGE_SHIFT));
    }

    private static int pageCount(int size) {
        return (int) (((long) size + PAGE_SIZE - 1) >>> PAGE_SHIFT);
    }
}

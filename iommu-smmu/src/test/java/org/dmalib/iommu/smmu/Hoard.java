package org.dmalib.iommu.smmu;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Every free block of a {@link TableMemory} taken (4 KiB blocks first, so that the region's
 * untouched part becomes 4 KiB blocks, then every other size), so that the driver's
 * next allocation fails; {@link #release4k} hands back as many 4 KiB blocks as a test wants to
 * leave, and {@link #releaseAll} the rest.
 */
final class Hoard {
    private final TableMemory memory;
    private final Deque<long[]> blocks = new ArrayDeque<>(); // {paddr, bytes}, last taken first

    private Hoard(TableMemory memory) {
        this.memory = memory;
    }

    /** Takes every block {@code memory} can still hand out, of every size. */
    static Hoard all(TableMemory memory) {
        Hoard h = new Hoard(memory);
        h.take(4096);
        for (int bytes = TableMemory.MAX_BLOCK; bytes >= TableMemory.MIN_BLOCK; bytes >>= 1) {
            h.take(bytes);
        }
        return h;
    }

    private void take(int bytes) {
        while (true) {
            try {
                blocks.push(new long[] {memory.allocate(bytes), bytes});
            } catch (PageTableMemoryException e) {
                return;
            }
        }
    }

    /** Frees {@code count} of the hoarded 4 KiB blocks: room for that many 4K-granule tables. */
    void release4k(int count) {
        int freed = 0;
        for (var it = blocks.iterator(); it.hasNext() && freed < count; ) {
            long[] b = it.next();
            if (b[1] == 4096) {
                memory.free(b[0], 4096);
                it.remove();
                freed++;
            }
        }
        if (freed < count) {
            throw new IllegalStateException("hoarded only " + freed + " blocks of 4 KiB");
        }
    }

    /** Frees every block still hoarded. */
    void releaseAll() {
        while (!blocks.isEmpty()) {
            long[] b = blocks.pop();
            memory.free(b[0], (int) b[1]);
        }
    }
}

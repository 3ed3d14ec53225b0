package org.dmalib.dma.ops;

import org.dmalib.hw.Cpu;
import org.dmalib.hw.PhysicalAddressException;

/**
 * The argument checks of one {@link DmaDevice}'s calls that depend on the device: that a CPU is
 * of its machine, a buffer from its allocator, a range inside its machine's memory. Each failure
 * is a {@link DmaUsageException} naming the bad value, thrown before anything is changed.
 *
 * <p>Thread-safety: immutable, safe for concurrent use.
 */
final class DeviceChecks {
    private final PageAllocator memory;

    DeviceChecks(PageAllocator memory) {
        this.memory = memory;
    }

    /** Checks that {@code cpu} is a CPU of the device's machine. */
    void checkCpu(Cpu cpu) {
        Checks.cpuOf(memory.machine(), cpu, "the device's machine");
    }

    /** Checks that {@code buffer} is live and from the device's allocator. */
    void checkBuffer(CpuBuffer buffer) {
        Checks.notNull(buffer, "buffer");
        if (buffer.allocator() != memory) {
            throw new DmaUsageException("buffer=" + buffer + " is not from the device's allocator");
        }
        buffer.checkLive();
    }

    /** Checks that {@code size} bytes at {@code paddr} (named {@code name}) lie inside memory. */
    void checkRange(long paddr, long size, String name) {
        Checks.notNegative(paddr, name);
        Checks.positive(size, "size");
        try {
            memory.machine().memory().checkRange(paddr, size);
        } catch (PhysicalAddressException e) {
            throw new DmaUsageException(String.format(
                    "%s=0x%x size=%d is outside memory of size 0x%x",
                    name, paddr, size, memory.machine().memory().size()));
        }
    }

    /** Returns the size of the device's machine's memory, for {@link #checkSegment}. */
    long memorySize() {
        return memory.machine().memory().size();
    }

    /**
     * {@link #checkRange} for segment {@code index} of a list: the value's name is built only when
     * the check fails (a per-segment string would cost more than the check).
     *
     * @param memorySize {@link #memorySize()}, read once for the whole list
     */
    void checkSegment(long paddr, long size, int index, long memorySize) {
        // the same bounds as PhysicalMemory.checkRange
        if (paddr < 0 || size < 1 || paddr > memorySize - size) {
            checkRange(paddr, size, "segment[" + index + "].paddr");
        }
    }
}

package org.dmalib.dma.ops;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.Segment;

/**
 * A driver's buffer in normal (cacheable) memory, from a {@link PageAllocator}: a physical
 * address and a size. The CPU reads and writes it through its cache ({@link Cpu#load},
 * {@link Cpu#store}); a non-coherent device sees it only as far as cache maintenance made RAM
 * agree.
 *
 * <p>While a streaming mapping gives bytes of the buffer to its device (from map or sync for
 * the device until unmap or sync for the CPU), reading or writing them here is a driver bug:
 * the device's {@linkplain DeviceParams#debug() debug checks} report it
 * ({@link DebugCheck#CPU_ACCESS_WHILE_DEVICE_OWNS}) before the access.
 *
 * <p>Thread-safety: the handle is safe for concurrent use; concurrent accesses to the same bytes
 * race as they would on hardware.
 */
public final class CpuBuffer {
    private final PageAllocator allocator;
    private final long paddr;
    private final int size;
    private final AtomicBoolean freed = new AtomicBoolean();

    CpuBuffer(PageAllocator allocator, long paddr, int size) {
        this.allocator = allocator;
        this.paddr = paddr;
        this.size = size;
    }

    /** {@return the physical address of the first byte (page aligned)} */
    public long paddr() {
        return paddr;
    }

    /** {@return the size in bytes, as requested} */
    public int size() {
        return size;
    }

    /** {@return the physical address one past the last byte} */
    public long end() {
        return paddr + size;
    }

    /** {@return whether the buffer was freed} */
    public boolean isFreed() {
        return freed.get();
    }

    /**
     * Stores {@code data} at {@code offset} through {@code cpu}'s cache.
     *
     * @param cpu the CPU doing the stores
     * @param offset where in the buffer, with {@code offset + data.length <= size()}
     * @param data the bytes
     * @throws DmaUsageException if an argument is null, {@code cpu} is not a CPU of the buffer's
     *     machine, or the buffer is freed
     * @throws DmaDebugException if a mapping gives any of the bytes to its device (THROW mode)
     * @throws IndexOutOfBoundsException if the range is outside the buffer
     */
    public void write(Cpu cpu, int offset, byte[] data) {
        check(cpu);
        Checks.notNull(data, "data");
        Objects.checkFromIndexSize(offset, data.length, size);
        checkOwner(offset, data.length, "write");
        cpu.store(paddr + offset, data, 0, data.length);
    }

    /**
     * Loads {@code length} bytes at {@code offset} through {@code cpu}'s cache.
     *
     * @param cpu the CPU doing the loads
     * @param offset where in the buffer
     * @param length how many bytes, with {@code offset + length <= size()}
     * @return the bytes as the CPU sees them
     * @throws DmaUsageException if {@code cpu} is null or not a CPU of the buffer's machine, or
     *     the buffer is freed
     * @throws DmaDebugException if a mapping gives any of the bytes to its device (THROW mode)
     * @throws IndexOutOfBoundsException if the range is outside the buffer
     */
    public byte[] read(Cpu cpu, int offset, int length) {
        check(cpu);
        Objects.checkFromIndexSize(offset, length, size);
        checkOwner(offset, length, "read");
        byte[] out = new byte[length];
        cpu.load(paddr + offset, out, 0, length);
        return out;
    }

    /**
     * Stores {@code value} into every byte through {@code cpu}'s cache ({@code memset}).
     *
     * @param cpu the CPU doing the stores
     * @param value the byte
     * @throws DmaUsageException if {@code cpu} is null or not a CPU of the buffer's machine, or
     *     the buffer is freed
     * @throws DmaDebugException if a mapping gives any of the bytes to its device (THROW mode)
     */
    public void fill(Cpu cpu, byte value) {
        check(cpu);
        checkOwner(0, size, "write");
        byte[] data = new byte[size];
        java.util.Arrays.fill(data, value);
        cpu.store(paddr, data, 0, size);
    }

    /** {@return the whole buffer as one scatterlist segment} */
    public Segment segment() {
        return segment(0, size);
    }

    /**
     * Returns part of the buffer as a scatterlist segment.
     *
     * @param offset where in the buffer
     * @param length bytes, positive, with {@code offset + length <= size()}
     * @return the segment
     * @throws IndexOutOfBoundsException if the range is outside the buffer
     * @throws DmaUsageException if {@code length} is not positive
     */
    public Segment segment(int offset, int length) {
        Checks.positive(length, "length");
        Objects.checkFromIndexSize(offset, length, size);
        return Segment.ofPhysical(paddr + offset, length);
    }

    @Override
    public String toString() {
        return String.format("CpuBuffer[paddr=0x%x size=%d%s]", paddr, size, isFreed() ? " freed" : "");
    }

    PageAllocator allocator() {
        return allocator;
    }

    void markFreed() {
        // the first free wins; a second one, racing or late, is the caller's double free
        if (!freed.compareAndSet(false, true)) {
            throw new DmaUsageException("buffer=" + this + " is freed already");
        }
    }

    void checkLive() {
        if (freed.get()) {
            throw new DmaUsageException("buffer=" + this + " is freed");
        }
    }

    /** Reports every mapping that gives bytes of {@code [offset, offset + length)} to its device. */
    private void checkOwner(int offset, int length, String access) {
        if (length == 0) {
            return;
        }
        for (DebugState.Violation v : allocator.debug().deviceOwned(paddr + offset, length)) {
            v.mapping().debug().report(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, v.mapping(), String.format(
                    "[access=%s] [paddr=0x%x] [buffer=%s] [first device-owned byte=0x%x]",
                    access, paddr + offset, this, v.paddr()));
        }
    }

    private void check(Cpu cpu) {
        Checks.cpuOf(allocator.machine(), cpu, "the buffer's machine");
        checkLive();
    }
}

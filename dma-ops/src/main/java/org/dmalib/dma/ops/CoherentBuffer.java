package org.dmalib.dma.ops;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.dmalib.dma.ops.internal.iommu.IommuMapped;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;

/**
 * A coherent DMA allocation ({@code dma_alloc_coherent}): memory CPU and device share without
 * syncs, for descriptor rings and mailboxes. Zeroed when handed out.
 *
 * <p>For a non-coherent device the CPU reaches it through a non-cacheable alias (arm64 remaps
 * such buffers {@code pgprot_dmacoherent}): reads and writes go straight to RAM, bypassing the
 * CPU cache, and the allocation was cleaned and invalidated ({@code arch_dma_prep_coherent})
 * before it was handed out so that no cache line of it remains. For a coherent device the CPU
 * accesses it through its cache as normal memory.
 *
 * <p>Must be {@linkplain #free() freed} exactly once; one still allocated when the device is
 * {@linkplain DmaDevice#detach() detached} is reported as a leak.
 *
 * <p>Thread-safety: the handle is safe for concurrent use; concurrent accesses to the same bytes
 * race as they would on hardware.
 */
public final class CoherentBuffer implements Tracked {
    private final DmaDevice device;
    private final CpuBuffer pages;
    private final int size;
    private final long dmaAddress;
    // the IOMMU side, or null on the direct path
    private final IommuMapped iommu;
    // the CPU that allocated it: free() returns the IOVA to that CPU's range cache
    private final Cpu allocCpu;
    private final AtomicBoolean freed = new AtomicBoolean();
    // the driver's frames that allocated it (empty when debugging is off)
    private final List<StackTraceElement> mappedAt;

    CoherentBuffer(DmaDevice device, CpuBuffer pages, int size, long dmaAddress, IommuMapped iommu,
            Cpu allocCpu, List<StackTraceElement> mappedAt) {
        this.device = device;
        this.pages = pages;
        this.size = size;
        this.dmaAddress = dmaAddress;
        this.iommu = iommu;
        this.allocCpu = allocCpu;
        this.mappedAt = mappedAt;
    }

    /**
     * Returns the DMA address the device uses for the first byte: the physical address on the
     * direct path, an IOVA over an IOMMU.
     */
    @Override
    public long dmaAddress() {
        return dmaAddress;
    }

    /**
     * {@return the address the CPU reaches the buffer at: its pages' physical address (what
     * Linux's {@code dma_alloc_coherent} returns as the kernel virtual address), to pass back
     * to {@link DmaDevice#freeCoherent}}
     */
    public long cpuAddress() {
        return pages.paddr();
    }

    /** {@return the size in bytes, as requested} */
    public int size() {
        return size;
    }

    /** Returns {@link MappingKind#COHERENT}. */
    @Override
    public MappingKind kind() {
        return MappingKind.COHERENT;
    }

    /** Returns {@link DmaDirection#BIDIRECTIONAL}: CPU and device both read and write it. */
    @Override
    public DmaDirection direction() {
        return DmaDirection.BIDIRECTIONAL;
    }

    /** Returns 1: an allocation is one entry. */
    @Override
    public int inputCount() {
        return 1;
    }

    /** Returns the driver's frames that allocated it (up to five); empty when debugging is off. */
    @Override
    public List<StackTraceElement> mappedAt() {
        return mappedAt;
    }

    /** Returns {@link #dmaAddress()}: the allocation is contiguous in DMA space. */
    @Override
    public long dmaLow() {
        return dmaAddress;
    }

    /** Returns {@link #size()}: the allocation is contiguous in DMA space. */
    @Override
    public long dmaExtent() {
        return size;
    }

    /**
     * Returns whether {@code address} lies inside the allocation's DMA range.
     *
     * @param address any address
     * @return whether the device reaches a byte of the allocation there
     */
    @Override
    public boolean contains(long address) {
        return address - dmaAddress >= 0 && address - dmaAddress < size;
    }

    /** {@return whether the allocation was freed} */
    public boolean isFreed() {
        return freed.get();
    }

    /**
     * Stores {@code data} at {@code offset}: through {@code cpu}'s cache for a coherent device,
     * straight to RAM (non-cacheable) for a non-coherent one.
     *
     * @param cpu the CPU doing the stores, of the device's machine
     * @param offset where in the buffer, with {@code offset + data.length <= size()}
     * @param data the bytes
     * @throws DmaUsageException if an argument is null or the buffer is freed
     * @throws IndexOutOfBoundsException if the range is outside the buffer
     */
    public void write(Cpu cpu, int offset, byte[] data) {
        check(cpu);
        Checks.notNull(data, "data");
        Objects.checkFromIndexSize(offset, data.length, size);
        if (device.isCoherent()) {
            cpu.store(pages.paddr() + offset, data, 0, data.length);
        } else {
            device.memory().machine().memory().write(pages.paddr() + offset, data, 0, data.length);
        }
    }

    /**
     * Loads {@code length} bytes at {@code offset}: through {@code cpu}'s cache for a coherent
     * device, straight from RAM (non-cacheable) for a non-coherent one.
     *
     * @param cpu the CPU doing the loads, of the device's machine
     * @param offset where in the buffer
     * @param length bytes, with {@code offset + length <= size()}
     * @return the bytes
     * @throws DmaUsageException if {@code cpu} is null or the buffer is freed
     * @throws IndexOutOfBoundsException if the range is outside the buffer
     */
    public byte[] read(Cpu cpu, int offset, int length) {
        check(cpu);
        Objects.checkFromIndexSize(offset, length, size);
        byte[] out = new byte[length];
        if (device.isCoherent()) {
            cpu.load(pages.paddr() + offset, out, 0, length);
        } else {
            device.memory().machine().memory().read(pages.paddr() + offset, out, 0, length);
        }
        return out;
    }

    /**
     * Frees the allocation ({@code dma_free_coherent}): over an IOMMU its IOVA range is unmapped
     * (gathered invalidations, one sync) and freed first; then its pages go back to the
     * allocator.
     *
     * @throws DmaUsageException if it was freed already ({@link DebugCheck#FREE_NOT_ALLOCATED})
     */
    public void free() {
        if (!freed.compareAndSet(false, true)) {
            throw device.debug().refuse(DebugCheck.FREE_NOT_ALLOCATED, this, String.format(
                    "[device address=0x%x] [size=%d bytes] (dmaAddress=0x%x is freed already: free twice)",
                    dmaAddress(), size, dmaAddress()));
        }
        device.untrack(this);
        if (iommu != null) {
            device.unmapIommu(allocCpu, iommu);
        }
        device.memory().free(pages);
    }

    /** Returns the allocation as reports list it. */
    @Override
    public PendingMapping describe() {
        return new PendingMapping(dmaAddress(), size, DmaDirection.BIDIRECTIONAL, MappingKind.COHERENT, 1);
    }

    @Override
    public String toString() {
        return describe().toString();
    }

    CpuBuffer pages() {
        return pages;
    }

    private void check(Cpu cpu) {
        device.checkCpu(cpu);
        if (freed.get()) {
            throw new DmaUsageException(String.format(
                    "dmaAddress=0x%x size=%d is freed (use after free)", dmaAddress(), size));
        }
    }
}

package org.dmalib.dma.ops;

import java.util.List;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;

/**
 * A streaming DMA mapping for try-with-resources: {@link #close()} unmaps it, on the CPU that
 * mapped it. Returned by the {@code *Scoped} methods of {@link DmaDevice}, which are
 * {@code @MustBeClosed}: Error Prone rejects a driver that does not close it.
 *
 * <pre>{@code
 * try (ScopedDmaMapping src = dev.mapSingleScoped(cpu, buffer, DmaDirection.TO_DEVICE)) {
 *     engine.setSource(src.dmaAddress());
 *     ...
 * }
 * }</pre>
 *
 * <p>Semantics of every method are those of the same method of {@link DmaMapping}.
 *
 * <p>Thread-safety: as {@link DmaMapping}.
 */
public final class ScopedDmaMapping implements AutoCloseable {
    private final DmaMapping mapping;
    private final Cpu cpu;

    ScopedDmaMapping(DmaMapping mapping, Cpu cpu) {
        this.mapping = mapping;
        this.cpu = cpu;
    }

    /** {@return the DMA address of the first byte} */
    public long dmaAddress() {
        return mapping.dmaAddress();
    }

    /** {@return the bytes mapped} */
    public long size() {
        return mapping.size();
    }

    /** {@return the direction the mapping was made with} */
    public DmaDirection direction() {
        return mapping.direction();
    }

    /** {@return which call made the mapping} */
    public MappingKind kind() {
        return mapping.kind();
    }

    /** {@return the DMA segments, in order} */
    public List<DmaSegment> dmaSegments() {
        return mapping.dmaSegments();
    }

    /** {@return the number of DMA segments} */
    public int dmaCount() {
        return mapping.dmaCount();
    }

    /** {@return whether any part of the mapping goes through a bounce buffer} */
    public boolean isBounced() {
        return mapping.isBounced();
    }

    /** {@return whether the mapping is still mapped} */
    public boolean isMapped() {
        return mapping.isMapped();
    }

    /**
     * As {@link DmaMapping#syncForCpu(Cpu)}.
     *
     * @param syncCpu the CPU running the call
     */
    public void syncForCpu(Cpu syncCpu) {
        mapping.syncForCpu(syncCpu);
    }

    /**
     * As {@link DmaMapping#syncForCpu(Cpu, long, long)}.
     *
     * @param syncCpu the CPU running the call
     * @param offset bytes from the start of the mapping
     * @param length bytes
     */
    public void syncForCpu(Cpu syncCpu, long offset, long length) {
        mapping.syncForCpu(syncCpu, offset, length);
    }

    /**
     * As {@link DmaMapping#syncForDevice(Cpu)}.
     *
     * @param syncCpu the CPU running the call
     */
    public void syncForDevice(Cpu syncCpu) {
        mapping.syncForDevice(syncCpu);
    }

    /**
     * As {@link DmaMapping#syncForDevice(Cpu, long, long)}.
     *
     * @param syncCpu the CPU running the call
     * @param offset bytes from the start of the mapping
     * @param length bytes
     */
    public void syncForDevice(Cpu syncCpu, long offset, long length) {
        mapping.syncForDevice(syncCpu, offset, length);
    }

    /**
     * Unmaps, on the CPU that made the mapping, as {@link DmaMapping#unmap(Cpu)}.
     *
     * @throws DmaUsageException if it was closed already
     */
    @Override
    public void close() {
        mapping.unmap(cpu);
    }

    @Override
    public String toString() {
        return mapping.toString();
    }
}

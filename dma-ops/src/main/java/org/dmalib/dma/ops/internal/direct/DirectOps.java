package org.dmalib.dma.ops.internal.direct;

import java.util.List;
import java.util.Objects;
import org.dmalib.arch.coherency.internal.cache.ArchDmaSync;
import org.dmalib.arch.coherency.internal.cache.DcacheMaintenance;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;

/**
 * The steps of dma-direct ({@code kernel/dma/direct.c}, {@code direct.h}) and of swiotlb's
 * bounce copies, for a list of {@link Chunk}s of one mapping, issued by one CPU.
 *
 * <table>
 *   <caption>What each step does to a non-coherent device's chunk</caption>
 *   <tr><th>step</th><th>bounce copy (bounced chunks)</th><th>cache maintenance</th></tr>
 *   <tr><td>{@link #map}</td><td>orig to bounce, every direction</td><td>clean</td></tr>
 *   <tr><td>{@link #syncForDevice}</td><td>orig to bounce if the device reads</td>
 *       <td>clean</td></tr>
 *   <tr><td>{@link #syncForCpu} (also unmap)</td><td>bounce to orig if the device writes, after
 *       the invalidate</td><td>invalidate unless TO_DEVICE</td></tr>
 * </table>
 *
 * <p>Maintenance always applies to the range the device reaches (the bounce buffer of a bounced
 * chunk). A coherent device gets the copies and no maintenance. A list gets the per-chunk
 * instructions and one barrier, and no barrier at all when no instruction was issued.
 *
 * <p>Preconditions, not checked here: the chunks lie in memory, the direction is not NONE, the
 * bounce buffers are reserved. The public API validates before calling.
 *
 * <p>Stateless; thread-safety is the hardware model's (safe for concurrent use).
 */
public final class DirectOps {
    // bounce copies move data through the CPU in pieces of one page
    private static final int COPY_PIECE = 4096;

    private DirectOps() {}

    /**
     * {@code dma_direct_map_phys} for every chunk: bounce copy-in (swiotlb_tbl_map_single copies
     * for every direction, so that a partial device write leaves the original bytes in place),
     * then {@code arch_sync_dma_for_device} on what the device reaches.
     *
     * @param cpu the CPU running the call
     * @param chunks the mapping's chunks, in order
     * @param dir the mapping's direction
     * @param coherent whether the device is DMA-coherent
     */
    public static void map(Cpu cpu, List<Chunk> chunks, DmaDirection dir, boolean coherent) {
        handOver(cpu, Chunks.wrap(chunks), dir, coherent, true, null);
    }

    /**
     * {@link #map(Cpu, List, DmaDirection, boolean)} of {@code chunks}.
     *
     * @param cpu the CPU running the call
     * @param chunks the mapping's chunks, in order
     * @param dir the mapping's direction
     * @param coherent whether the device is DMA-coherent
     */
    public static void map(Cpu cpu, Chunks chunks, DmaDirection dir, boolean coherent) {
        handOver(cpu, chunks, dir, coherent, true, null);
    }

    /**
     * {@link #map(Cpu, Chunks, DmaDirection, boolean)}, handing each chunk to {@code sink} in
     * the same pass over the chunks, in order, after its copy and maintenance are recorded (for
     * a caller that reads every chunk right after the map: dma-iommu's layout). The sink sees
     * every chunk before the batch is issued and its barrier; if a chunk's maintenance throws,
     * it sees no more chunks.
     *
     * @param cpu the CPU running the call
     * @param chunks the mapping's chunks, in order
     * @param dir the mapping's direction
     * @param coherent whether the device is DMA-coherent
     * @param sink what each chunk is handed to
     */
    public static void map(Cpu cpu, Chunks chunks, DmaDirection dir, boolean coherent,
            ChunkSink sink) {
        handOver(cpu, chunks, dir, coherent, true, Objects.requireNonNull(sink, "sink"));
    }

    /**
     * What {@link #map(Cpu, Chunks, DmaDirection, boolean, ChunkSink)} hands each chunk to.
     *
     * <p>Thread-safety: called on the mapping thread only; an implementation need not be
     * thread-safe.
     */
    public interface ChunkSink {
        /**
         * Takes the next chunk.
         *
         * @param devicePhys the physical address the device reaches ({@link Chunk#devicePhys})
         * @param size the chunk's bytes, positive
         */
        void accept(long devicePhys, long size);
    }

    /**
     * {@code dma_direct_sync_single/sg_for_device}: bounce copy-in if the device reads, then
     * {@code arch_sync_dma_for_device}.
     *
     * @param cpu the CPU running the call
     * @param chunks the (parts of) chunks to hand to the device
     * @param dir the mapping's direction
     * @param coherent whether the device is DMA-coherent
     */
    public static void syncForDevice(Cpu cpu, List<Chunk> chunks, DmaDirection dir, boolean coherent) {
        handOver(cpu, Chunks.wrap(chunks), dir, coherent, dir.deviceReads(), null);
    }

    /**
     * {@code dma_direct_sync_single/sg_for_cpu}, also the first half of unmap:
     * {@code arch_sync_dma_for_cpu} on what the device reached, then bounce copy-out if the
     * device writes.
     *
     * @param cpu the CPU running the call
     * @param chunks the (parts of) chunks to take back from the device
     * @param dir the mapping's direction
     * @param coherent whether the device is DMA-coherent
     */
    public static void syncForCpu(Cpu cpu, List<Chunk> chunks, DmaDirection dir, boolean coherent) {
        syncForCpu(cpu, Chunks.wrap(chunks), dir, coherent);
    }

    /**
     * {@link #syncForCpu(Cpu, List, DmaDirection, boolean)} of {@code chunks}.
     *
     * @param cpu the CPU running the call
     * @param chunks the (parts of) chunks to take back from the device
     * @param dir the mapping's direction
     * @param coherent whether the device is DMA-coherent
     */
    public static void syncForCpu(Cpu cpu, Chunks chunks, DmaDirection dir, boolean coherent) {
        int n = chunks.count();
        if (!coherent && dir != DmaDirection.TO_DEVICE) {
            ArchDmaSync arch = new ArchDmaSync(DcacheMaintenance.batchingOn(cpu, n));
            for (int i = 0; i < n; i++) {
                arch.forCpuNoSync(chunks.devicePhys(i), chunks.size(i), dir);
            }
            // the list's instructions as one batch, then one DSB: every invalidate (and the
            // write-back of a partial end line) completes before the CPU reads the buffer or
            // copies out of the bounce buffer
            arch.dcache().complete();
        }
        if (dir.deviceWrites() && !chunks.neverBounced()) {
            for (int i = 0; i < n; i++) {
                if (chunks.bounced(i)) {
                    copy(cpu, chunks.bounce(i), chunks.phys(i), chunks.size(i));
                }
            }
        }
    }

    /**
     * {@code arch_dma_prep_coherent}: clean and invalidate a fresh coherent allocation of a
     * non-coherent device, with its barrier.
     *
     * @param cpu the CPU running the call
     * @param paddr first physical address
     * @param size bytes
     */
    public static void prepCoherent(Cpu cpu, long paddr, long size) {
        new ArchDmaSync(DcacheMaintenance.on(cpu)).prepCoherent(paddr, size);
    }

    /**
     * Stores zeros over {@code [paddr, paddr + size)} through {@code cpu}'s cache and, for a
     * non-coherent device, cleans them without a barrier: the barrier of the {@link #map} that
     * follows completes the clean. dma-iommu zeroes an untrusted device's bounce padding so.
     *
     * @param cpu the CPU running the call
     * @param paddr first physical address
     * @param size bytes, not negative (0 does nothing)
     * @param coherent whether the device is DMA-coherent
     */
    public static void zeroForDeviceNoSync(Cpu cpu, long paddr, long size, boolean coherent) {
        if (size == 0) {
            return;
        }
        byte[] zeros = new byte[(int) Math.min(size, COPY_PIECE)];
        for (long done = 0; done < size; ) {
            int n = (int) Math.min(size - done, zeros.length);
            cpu.store(paddr + done, zeros, 0, n);
            done += n;
        }
        if (!coherent) {
            new ArchDmaSync(DcacheMaintenance.on(cpu)).forDeviceNoSync(paddr, size, DmaDirection.TO_DEVICE);
        }
    }

    /**
     * Hands chunks to the device: each bounced chunk copied in first if {@code copyIn}, then, for
     * a non-coherent device, every chunk's {@code arch_sync_dma_for_device}, issued as one batch
     * with one barrier after all the copies (the order of separate loops, in one pass); each
     * chunk also handed to {@code sink} if there is one.
     */
    private static void handOver(Cpu cpu, Chunks chunks, DmaDirection dir, boolean coherent,
            boolean copyIn, ChunkSink sink) {
        int n = chunks.count();
        ArchDmaSync arch = coherent ? null : new ArchDmaSync(DcacheMaintenance.batchingOn(cpu, n));
        boolean copies = copyIn && !chunks.neverBounced();
        for (int i = 0; i < n; i++) {
            long size = chunks.size(i);
            if (copies && chunks.bounced(i)) {
                copy(cpu, chunks.phys(i), chunks.bounce(i), size);
            }
            long devicePhys = chunks.devicePhys(i);
            if (arch != null) {
                arch.forDeviceNoSync(devicePhys, size, dir);
            }
            if (sink != null) {
                sink.accept(devicePhys, size);
            }
        }
        if (arch != null) {
            // the list's cleans as one batch, issued here after every copy, then one DSB: every
            // write-back reaches RAM before the device is told to start (the caller hands the
            // DMA address over only after this returns)
            arch.dcache().complete();
        }
    }

    /** swiotlb_bounce: a CPU copy, through the CPU's cache, from {@code src} to {@code dst}. */
    private static void copy(Cpu cpu, long src, long dst, long size) {
        byte[] piece = new byte[(int) Math.min(size, COPY_PIECE)];
        for (long done = 0; done < size; ) {
            int n = (int) Math.min(size - done, piece.length);
            cpu.load(src + done, piece, 0, n);
            cpu.store(dst + done, piece, 0, n);
            done += n;
        }
    }
}

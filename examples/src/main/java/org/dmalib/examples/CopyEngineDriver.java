package org.dmalib.examples;

import java.util.Objects;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.ScopedDmaMapping;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaStatus;
import org.dmalib.iommu.api.DmaDirection;

/**
 * A third-party-style driver for {@link CopyEngine}, written against the public DMA API only
 * ({@code org.dmalib.dma.ops}). One copy: clear the destination, fill the source through the
 * CPU, map the source TO_DEVICE and the destination FROM_DEVICE (scoped mappings), program and
 * start the engine, unmap, read the destination through the CPU.
 *
 * <p>The {@link DriverVariant} selects the correct order or one of two ordering bugs, so that
 * tests and the CLI demo can show what the hardware model makes of them.
 *
 * <p>Thread-safety: not for concurrent copies on one engine (the engine has one set of
 * registers); the caller serializes.
 */
public final class CopyEngineDriver {
    private final DmaDevice dev;
    private final CopyEngine engine;
    private final DriverVariant variant;

    /**
     * Binds the driver to its device.
     *
     * @param dev the DMA API handle of the engine's stream
     * @param engine the engine's registers
     * @param variant which order of steps to follow
     * @throws NullPointerException if an argument is null
     */
    public CopyEngineDriver(DmaDevice dev, CopyEngine engine, DriverVariant variant) {
        this.dev = Objects.requireNonNull(dev, "dev");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.variant = Objects.requireNonNull(variant, "variant");
    }

    /**
     * Copies {@code payload} from {@code src} to {@code dst} with the engine and returns what
     * the CPU reads back from {@code dst}.
     *
     * @param cpu the CPU the driver runs on
     * @param src the source buffer, at least {@code payload.length} bytes
     * @param dst the destination buffer, at least {@code payload.length} bytes
     * @param payload the bytes to copy, not empty
     * @return the destination's first {@code payload.length} bytes as the CPU reads them
     * @throws IllegalStateException if the engine reports {@link DmaStatus#ABORT}
     * @throws IllegalArgumentException if a buffer is too small or the payload is empty
     * @throws NullPointerException naming it if {@code src}, {@code dst} or {@code payload} is
     *     null
     */
    public byte[] copy(Cpu cpu, CpuBuffer src, CpuBuffer dst, byte[] payload) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(payload, "payload");
        int n = payload.length;
        if (n == 0 || src.size() < n || dst.size() < n) {
            throw new IllegalArgumentException("payload.length=" + n + " must be positive and fit src.size="
                    + src.size() + " and dst.size=" + dst.size());
        }
        dst.fill(cpu, (byte) 0);
        if (variant != DriverVariant.MISSING_SYNC_FOR_DEVICE) {
            src.write(cpu, 0, payload);
        }
        byte[] early = null;
        DmaStatus status;
        try (ScopedDmaMapping from = dev.mapSingleScoped(cpu, src, DmaDirection.TO_DEVICE);
                ScopedDmaMapping to = dev.mapSingleScoped(cpu, dst, DmaDirection.FROM_DEVICE)) {
            if (variant == DriverVariant.MISSING_SYNC_FOR_DEVICE) {
                // bug: the buffer belongs to the device now; this write needs from.syncForDevice
                src.write(cpu, 0, payload);
            }
            engine.writeSource(from.dmaAddress());
            engine.writeDestination(to.dmaAddress());
            engine.writeLength(n);
            status = engine.start();
            if (variant == DriverVariant.MISSING_SYNC_FOR_CPU) {
                // bug: reads a buffer the device still owns, without to.syncForCpu
                early = dst.read(cpu, 0, n);
            }
        }
        if (!status.ok()) {
            throw new IllegalStateException("copy engine reported status=" + status);
        }
        return early != null ? early : dst.read(cpu, 0, n);
    }
}

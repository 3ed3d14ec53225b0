package org.dmalib.examples;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.dma.ops.DeviceParams;
import org.dmalib.dma.ops.DmaDebugReport;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.PageAllocator;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;

/**
 * The copy-engine demo as one call, for the CLI and for tests: builds a small machine (64 MiB,
 * two CPUs), attaches a {@link CopyEngine} on a non-coherent stream, runs one copy with the
 * chosen {@link DriverVariant} and reports what the hardware counted and what the DMA-API debug
 * checks said. The device warns instead of throwing ({@link DebugMode#WARN}), so that a buggy
 * variant runs to the end and shows both the wrong data and the report that names the bug.
 *
 * <p>Stateless; each run builds its own machine, so runs are independent and thread-safe.
 */
public final class CopyEngineScenario {
    /** The default payload: one 4 KiB page. */
    public static final int DEFAULT_SIZE = 4096;

    // the engine's stream ID: any free stream of the fresh machine
    private static final int STREAM_ID = 3;
    // 64 MiB of RAM and a 1 MiB bounce pool: small, sparse, enough for the demo
    private static final long MEMORY = 64L << 20;
    private static final long BOUNCE_POOL = 1L << 20;

    private CopyEngineScenario() {}

    /**
     * What one run showed.
     *
     * <p>Thread-safety: immutable (the reports are copied into an unmodifiable list); safe to share
     * between threads.
     *
     * @param variant the driver variant that ran
     * @param bytesMoved bytes the engine copied (its BYTES counter)
     * @param linesCleaned clean-to-PoC instructions during the copy
     * @param linesInvalidated invalidate-to-PoC instructions during the copy
     * @param linesCleanInvalidated clean+invalidate-to-PoC instructions during the copy (the
     *     partial lines at a buffer's ends that an invalidate must not discard)
     * @param barriers completing barriers during the copy
     * @param dataCorrect whether the CPU read back exactly the payload
     * @param debugReports what the device's DMA-API debug checks reported, in order
     */
    public record Result(DriverVariant variant, long bytesMoved, long linesCleaned,
            long linesInvalidated, long linesCleanInvalidated, long barriers, boolean dataCorrect,
            List<DmaDebugReport> debugReports) {
        /**
         * Copies the reports.
         *
         * @param variant the driver variant that ran
         * @param bytesMoved bytes the engine copied (its BYTES counter)
         * @param linesCleaned clean-to-PoC instructions during the copy
         * @param linesInvalidated invalidate-to-PoC instructions during the copy
         * @param linesCleanInvalidated clean+invalidate-to-PoC instructions during the copy
         * @param barriers completing barriers during the copy
         * @param dataCorrect whether the CPU read back exactly the payload
         * @param debugReports what the debug checks reported, in order; not null, no null element
         * @throws NullPointerException if {@code variant} is null (named), or {@code debugReports}
         *     is null or holds a null
         */
        public Result {
            Objects.requireNonNull(variant, "variant");
            debugReports = List.copyOf(debugReports);
        }
    }

    /**
     * Runs one copy of {@link #DEFAULT_SIZE} bytes.
     *
     * @param variant the driver variant
     * @return what the hardware counted and whether the data was right
     */
    public static Result run(DriverVariant variant) {
        return run(variant, DEFAULT_SIZE);
    }

    /**
     * Runs one copy of {@code size} bytes.
     *
     * @param variant the driver variant
     * @param size payload bytes, from 1 to 1 MiB
     * @return what the hardware counted and whether the data was right
     * @throws IllegalArgumentException if {@code size} is out of range
     */
    public static Result run(DriverVariant variant, int size) {
        // 1 MiB: far below what the 64 MiB machine can give two buffers
        if (size < 1 || size > (1 << 20)) {
            throw new IllegalArgumentException("size=" + size + " must be from 1 to 1048576");
        }
        Machine machine = Machine.create(MachineConfig.of(MEMORY));
        PageAllocator memory = PageAllocator.create(machine, BOUNCE_POOL);
        DmaPort port = machine.attach(STREAM_ID, Coherency.NON_COHERENT);
        CopyEngine engine = new CopyEngine(port);
        DmaDevice dev = DmaDevice.create(memory, DeviceParams.of(port).withDebug(DebugMode.WARN));
        CopyEngineDriver driver = new CopyEngineDriver(dev, engine, variant);
        Cpu cpu = machine.cpu(0);

        CpuBuffer src = memory.allocate(size);
        CpuBuffer dst = memory.allocate(size);
        byte[] payload = payload(size);
        HwCounters before = machine.counters();
        byte[] read = driver.copy(cpu, src, dst, payload);
        HwCounters d = machine.counters().minus(before);
        memory.free(src);
        memory.free(dst);
        dev.detach();
        return new Result(variant, engine.bytesMoved(), d.linesCleaned(), d.linesInvalidated(),
                d.linesCleanInvalidated(), d.barriers(), Arrays.equals(payload, read),
                dev.debugReports());
    }

    /** Returns the recognisable payload the scenario copies: no byte is zero. */
    static byte[] payload(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            // 1..251: never 0, so stale zeroed memory can never pass for the payload
            b[i] = (byte) (1 + i % 251);
        }
        return b;
    }
}

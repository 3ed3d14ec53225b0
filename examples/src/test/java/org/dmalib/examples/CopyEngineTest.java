package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DebugCheck;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.dma.ops.DeviceParams;
import org.dmalib.dma.ops.DmaDebugException;
import org.dmalib.dma.ops.DmaDebugReport;
import org.dmalib.dma.ops.DmaDevice;
import org.dmalib.dma.ops.PageAllocator;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.junit.jupiter.api.Test;

/**
 * The hardware model makes driver bugs visible: the same copy-engine driver with the correct
 * order reads the payload back, without the clean for the device the engine copies stale RAM,
 * without the invalidate for the CPU the CPU reads stale cache lines.
 */
class CopyEngineTest {
    private static final int SIZE = 4096;
    private static final int LINES = SIZE / 64;

    /** One machine with the engine on a non-coherent stream; tests inspect its RAM and caches. */
    private static final class Board {
        final Machine machine = Machine.create(MachineConfig.of(16L << 20));
        final PageAllocator memory = PageAllocator.create(machine, 1L << 20);
        final DmaPort port = machine.attach(5, Coherency.NON_COHERENT);
        final CopyEngine engine = new CopyEngine(port);
        final DmaDevice dev;
        final Cpu cpu = machine.cpu(0);
        final CpuBuffer src = memory.allocate(SIZE);
        final CpuBuffer dst = memory.allocate(SIZE);

        Board() {
            this(DebugMode.THROW);
        }

        /** A board whose device's debug checks run in {@code debug} mode. */
        Board(DebugMode debug) {
            dev = DmaDevice.create(memory, DeviceParams.of(port).withDebug(debug));
        }

        byte[] copy(DriverVariant variant, byte[] payload) {
            return new CopyEngineDriver(dev, engine, variant).copy(cpu, src, dst, payload);
        }

        byte[] ram(long paddr) {
            byte[] out = new byte[SIZE];
            machine.memory().read(paddr, out, 0, SIZE);
            return out;
        }
    }

    @Test
    void correctDriverReadsThePayloadBack() {
        Board b = new Board();
        byte[] payload = CopyEngineScenario.payload(SIZE);
        assertArrayEquals(payload, b.copy(DriverVariant.CORRECT, payload));
        assertArrayEquals(payload, b.ram(b.dst.paddr()), "the engine wrote the payload to RAM");
        assertEquals(SIZE, b.engine.bytesMoved());
        assertTrue(b.dev.pendingMappings().isEmpty());
    }

    @Test
    void withoutTheCleanForTheDeviceTheEngineCopiesStaleRam() {
        // WARN: the bug runs to the end, to show what the hardware does
        Board b = new Board(DebugMode.WARN);
        byte[] payload = CopyEngineScenario.payload(SIZE);
        byte[] read = b.copy(DriverVariant.MISSING_SYNC_FOR_DEVICE, payload);
        // the payload never left the CPU cache: source RAM is still zero, and so is the copy
        assertTrue(b.cpu.isDirty(b.src.paddr()), "the source sits dirty in the cache");
        assertArrayEquals(new byte[SIZE], b.ram(b.src.paddr()));
        assertArrayEquals(new byte[SIZE], b.ram(b.dst.paddr()), "the engine copied stale RAM");
        assertArrayEquals(new byte[SIZE], read);
        assertEquals(SIZE, b.engine.bytesMoved(), "the engine did its job; the data was stale");
        assertEquals(List.of(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS), checks(b.dev));
    }

    @Test
    void theDebugChecksStopTheBugAtTheWriteThatBreaksTheRule() {
        Board b = new Board();
        byte[] payload = CopyEngineScenario.payload(SIZE);
        DmaDebugException e = assertThrows(DmaDebugException.class,
                () -> b.copy(DriverVariant.MISSING_SYNC_FOR_DEVICE, payload));
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, e.check());
        assertTrue(e.getMessage().contains("[access=write]"), e::getMessage);
        assertEquals(CopyEngineDriver.class.getName(), e.report().mappedAt().get(0).getClassName());
        assertEquals(0, b.engine.bytesMoved(), "the engine never ran");
        assertFalse(b.cpu.isDirty(b.src.paddr()), "the write did not happen");
    }

    @Test
    void withoutTheInvalidateForTheCpuTheCpuReadsStaleLines() {
        Board b = new Board(DebugMode.WARN);
        byte[] payload = CopyEngineScenario.payload(SIZE);
        byte[] read = b.copy(DriverVariant.MISSING_SYNC_FOR_CPU, payload);
        assertArrayEquals(payload, b.ram(b.dst.paddr()), "the device wrote the payload to RAM");
        assertArrayEquals(new byte[SIZE], read, "the CPU read its cached zeros");
        // after the (late) unmap the CPU sees the right data: the lines were invalidated
        assertArrayEquals(payload, b.dst.read(b.cpu, 0, SIZE));
        assertEquals(List.of(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS), checks(b.dev));
        assertTrue(b.dev.debugReports().get(0).message().contains("[access=read]"));
    }

    private static List<DebugCheck> checks(DmaDevice dev) {
        return dev.debugReports().stream().map(DmaDebugReport::check).toList();
    }

    @Test
    void scenarioReportsCountsAndCorrectness() {
        CopyEngineScenario.Result ok = CopyEngineScenario.run(DriverVariant.CORRECT);
        assertTrue(ok.dataCorrect());
        assertEquals(SIZE, ok.bytesMoved());
        // map cleans source and destination (one barrier each); unmap invalidates the
        // destination (one barrier); unmapping the TO_DEVICE source does nothing
        assertEquals(2 * LINES, ok.linesCleaned());
        assertEquals(LINES, ok.linesInvalidated());
        assertEquals(0, ok.linesCleanInvalidated(), "whole lines: no partial line at either end");
        assertEquals(3, ok.barriers());
        assertTrue(ok.debugReports().isEmpty(), () -> ok.debugReports().toString());

        CopyEngineScenario.Result noClean = CopyEngineScenario.run(DriverVariant.MISSING_SYNC_FOR_DEVICE);
        assertFalse(noClean.dataCorrect());
        assertEquals(SIZE, noClean.bytesMoved());
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, noClean.debugReports().get(0).check());

        CopyEngineScenario.Result noInvalidate = CopyEngineScenario.run(DriverVariant.MISSING_SYNC_FOR_CPU);
        assertFalse(noInvalidate.dataCorrect());
        assertEquals(LINES, noInvalidate.linesInvalidated(), "the invalidate came, but too late");
        assertEquals(1, noInvalidate.debugReports().size());
    }

    @Test
    void aBufferEndingInsideALineHasThatLineCleanedAndInvalidatedNotInvalidated() {
        CopyEngineScenario.Result r = CopyEngineScenario.run(DriverVariant.CORRECT, 100);
        assertTrue(r.dataCorrect());
        // 100 bytes: one whole line and one partial; both buffers are cleaned at map, and the
        // destination's unmap invalidates the whole line and cleans+invalidates the partial one
        assertEquals(4, r.linesCleaned());
        assertEquals(1, r.linesInvalidated());
        assertEquals(1, r.linesCleanInvalidated());
    }
}

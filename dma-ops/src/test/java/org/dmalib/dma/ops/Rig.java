package org.dmalib.dma.ops;

import java.util.Arrays;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;

/** A small machine for tests: 64 MiB, 2 CPUs, 64-byte lines, a 1 MiB bounce pool. */
final class Rig {
    static final int LINE = 64;
    static final long POOL = 1L << 20;

    final Machine machine = Machine.create(MachineConfig.of(64L << 20));
    final PageAllocator memory = PageAllocator.create(machine, POOL);
    final Cpu cpu = machine.cpu(0);
    final DmaPort port;
    final DmaDevice dev;

    Rig(Coherency coherency) {
        this(coherency, DeviceParams.DEFAULT_DMA_MASK);
    }

    Rig(Coherency coherency, long dmaMask) {
        this(coherency, dmaMask, DebugMode.THROW);
    }

    /**
     * A rig whose device runs its debug checks in {@code debug} mode: OFF for tests that break
     * the ownership rules on purpose to show what the hardware then does.
     */
    Rig(Coherency coherency, long dmaMask, DebugMode debug) {
        port = machine.attach(1, coherency);
        dev = DmaDevice.create(memory, DeviceParams.of(port).withDmaMask(dmaMask).withDebug(debug));
    }

    HwCounters counters() {
        return machine.counters();
    }

    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    byte[] deviceRead(long dmaAddress, int size) {
        byte[] out = new byte[size];
        DmaStatus st = port.read(dmaAddress, out, 0, size);
        if (!st.ok()) {
            throw new AssertionError("device read aborted at " + dmaAddress);
        }
        return out;
    }

    void deviceWrite(long dmaAddress, byte[] data) {
        DmaStatus st = port.write(dmaAddress, data, 0, data.length);
        if (!st.ok()) {
            throw new AssertionError("device write aborted at " + dmaAddress);
        }
    }

    byte[] ram(long paddr, int size) {
        byte[] out = new byte[size];
        machine.memory().read(paddr, out, 0, size);
        return out;
    }

    boolean anyDirty(long paddr, int size) {
        for (long a = paddr; a < paddr + size; a += LINE) {
            if (cpu.isDirty(a)) {
                return true;
            }
        }
        return false;
    }

    boolean anyCached(long paddr, int size) {
        for (long a = paddr; a < paddr + size; a += LINE) {
            if (cpu.isCached(a)) {
                return true;
            }
        }
        return false;
    }

    static boolean same(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }
}

package org.dmalib.dma.ops.internal.direct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dmalib.hw.Cpu;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.junit.jupiter.api.Test;

/**
 * {@link DirectOps#zeroForDeviceNoSync}: exactly the range is zeroed, also past one copy piece
 * (4 KiB), and a size of 0 touches nothing.
 */
class ZeroForDeviceTest {
    private static final long BASE = 0x10000;

    private final Machine machine = Machine.create(MachineConfig.of(1L << 20));
    private final Cpu cpu = machine.cpu(0);

    private byte[] load(long paddr, int size) {
        byte[] out = new byte[size];
        cpu.load(paddr, out, 0, size);
        return out;
    }

    @Test
    void aRangeLongerThanOnePieceIsZeroedAndNothingAroundIt() {
        byte[] pattern = new byte[3 * 4096];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 7 + 1);
        }
        cpu.store(BASE, pattern, 0, pattern.length);
        long from = BASE + 100;
        int size = 4096 + 300;
        DirectOps.zeroForDeviceNoSync(cpu, from, size, true);
        assertArrayEquals(new byte[size], load(from, size));
        byte[] before = load(BASE, 100);
        byte[] after = load(from + size, 1000);
        for (int i = 0; i < before.length; i++) {
            assertEquals(pattern[i], before[i], "byte " + i + " before the range");
        }
        for (int i = 0; i < after.length; i++) {
            assertEquals(pattern[100 + size + i], after[i], "byte " + i + " after the range");
        }
    }

    @Test
    void aSizeOfZeroTouchesNothing() {
        HwCounters before = machine.counters();
        DirectOps.zeroForDeviceNoSync(cpu, BASE, 0, false);
        assertEquals(before, machine.counters());
    }
}

package org.dmalib.hw;

import java.util.zip.CRC32;

/**
 * Everything a refused call must leave as it was, as one comparable string: every byte of RAM
 * (as a CRC), which lines each CPU holds and which of them are dirty, write-backs in flight,
 * frames in use and the counters. Observations only: taking it changes nothing.
 */
final class MachineState {
    private MachineState() {}

    /** Data to put in RAM before a refused call: {@code length} bytes that vary with the seed. */
    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + 7 * i);
        }
        return b;
    }

    /** RAM, caches, write-backs in flight, frames in use and counters. */
    static String of(Machine m) {
        return contents(m) + '\n' + m.counters();
    }

    /** {@link #of} without the counters: for calls that must count and change nothing else. */
    static String contents(Machine m) {
        PhysicalMemory ram = m.memory();
        CRC32 crc = new CRC32();
        byte[] chunk = new byte[1 << 16];
        for (long a = 0; a < ram.size(); a += chunk.length) {
            int n = (int) Math.min(chunk.length, ram.size() - a);
            ram.read(a, chunk, 0, n);
            crc.update(chunk, 0, n);
        }
        StringBuilder s = new StringBuilder("ram crc=").append(Long.toHexString(crc.getValue()));
        int line = m.config().cache().lineSize();
        for (int c = 0; c < m.cpuCount(); c++) {
            Cpu cpu = m.cpu(c);
            s.append("\ncpu").append(c).append(':');
            for (long a = 0; a < ram.size(); a += line) {
                if (cpu.isCached(a)) {
                    s.append(' ').append(Long.toHexString(a)).append(cpu.isDirty(a) ? "D" : "c");
                }
            }
        }
        return s.append("\nin flight=").append(m.writebacksInFlight())
                .append(" frames=").append(ram.framesInUse()).toString();
    }
}

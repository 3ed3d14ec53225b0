package org.dmalib.hw.internal;

import java.util.Objects;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.PhysicalAddressException;
import org.dmalib.hw.PhysicalMemory;

/**
 * The hardware model's {@link Cpu}: every access goes through the {@link CoherenceFabric}.
 *
 * <p>Thread-safety: safe for concurrent use (the fabric serialises accesses).
 */
public final class CpuCore implements Cpu {
    private final int id;
    private final CoherenceFabric fabric;
    private final PhysicalMemory memory;

    /**
     * Creates CPU {@code id} on {@code fabric}.
     *
     * @param id the CPU index, also the index of its cache in the fabric
     * @param fabric the memory system
     */
    public CpuCore(int id, CoherenceFabric fabric) {
        this.id = id;
        this.fabric = fabric;
        this.memory = fabric.memory();
    }

    /** Returns the fabric this CPU issues on; for the cache maintenance instructions. */
    public CoherenceFabric fabric() {
        return fabric;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public int lineSize() {
        return fabric.lineSize();
    }

    @Override
    public byte loadByte(long paddr) {
        byte[] b = new byte[1];
        load(paddr, b, 0, 1);
        return b[0];
    }

    @Override
    public void storeByte(long paddr, byte value) {
        store(paddr, new byte[] {value}, 0, 1);
    }

    @Override
    public long loadLong(long paddr) {
        byte[] b = new byte[Long.BYTES];
        load(paddr, b, 0, Long.BYTES);
        long v = 0;
        for (int i = Long.BYTES - 1; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xffL); // little-endian: byte 0 is least significant
        }
        return v;
    }

    @Override
    public void storeLong(long paddr, long value) {
        byte[] b = new byte[Long.BYTES];
        for (int i = 0; i < Long.BYTES; i++) {
            b[i] = (byte) (value >>> (8 * i)); // little-endian
        }
        store(paddr, b, 0, Long.BYTES);
    }

    @Override
    public long compareAndSwapLong(long paddr, long expected, long update) {
        memory.checkRange(paddr, Long.BYTES);
        if ((paddr & (Long.BYTES - 1)) != 0) {
            throw new PhysicalAddressException(String.format(
                    "64-bit compare-and-swap at paddr=0x%x is not 8-byte aligned", paddr),
                    paddr, Long.BYTES);
        }
        return fabric.cpuCompareAndSwap(id, paddr, expected, update);
    }

    @Override
    public void load(long paddr, byte[] dst, int offset, int length) {
        memory.checkRange(paddr, length);
        Objects.checkFromIndexSize(offset, length, dst.length);
        fabric.cpuLoad(id, paddr, dst, offset, length);
    }

    @Override
    public void store(long paddr, byte[] src, int offset, int length) {
        memory.checkRange(paddr, length);
        Objects.checkFromIndexSize(offset, length, src.length);
        fabric.cpuStore(id, paddr, src, offset, length);
    }

    @Override
    public boolean isCached(long paddr) {
        memory.checkRange(paddr, 1);
        return fabric.isCached(id, paddr);
    }

    @Override
    public boolean isDirty(long paddr) {
        memory.checkRange(paddr, 1);
        return fabric.isDirty(id, paddr);
    }

    @Override
    public String toString() {
        return "cpu" + id;
    }
}

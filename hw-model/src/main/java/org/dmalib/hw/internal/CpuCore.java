package org.dmalib.hw.internal;

import java.util.Objects;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.PhysicalAddressException;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.cache.CacheMaintenance;

/**
 * The hardware model's {@link Cpu}: every access goes through the {@link CoherenceFabric}.
 *
 * <p>Thread-safety: safe for concurrent use (the fabric serialises accesses).
 */
public final class CpuCore implements Cpu {
    private final int id;
    private final CoherenceFabric fabric;
    private final PhysicalMemory memory;
    // this CPU's maintenance instructions, made once by CacheMaintenance.of (immutable, so a
    // plain volatile read is all a caller on another thread needs)
    private volatile CacheMaintenance maintenance;

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

    /** {@return the fabric this CPU issues on; for the cache maintenance instructions} */
    public CoherenceFabric fabric() {
        return fabric;
    }

    /** {@return this CPU's cache maintenance view, or null before the first one is made} */
    public CacheMaintenance maintenance() {
        return maintenance;
    }

    /**
     * Keeps {@code view} as this CPU's cache maintenance view, for {@code CacheMaintenance.of}.
     *
     * @param view the view, of this CPU
     */
    public void maintenance(CacheMaintenance view) {
        this.maintenance = view;
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
        memory.checkRange(paddr, 1);
        return fabric.cpuLoadByte(id, paddr);
    }

    @Override
    public void storeByte(long paddr, byte value) {
        memory.checkRange(paddr, 1);
        fabric.cpuStoreByte(id, paddr, value);
    }

    @Override
    public long loadLong(long paddr) {
        memory.checkRange(paddr, Long.BYTES);
        return fabric.cpuLoadLong(id, paddr);
    }

    @Override
    public void storeLong(long paddr, long value) {
        memory.checkRange(paddr, Long.BYTES);
        fabric.cpuStoreLong(id, paddr, value);
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
    public void zero(long paddr, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("zero: length=" + length + " must not be negative");
        }
        memory.checkRange(paddr, length);
        if (length > 0) {
            fabric.cpuZero(id, paddr, length);
        }
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

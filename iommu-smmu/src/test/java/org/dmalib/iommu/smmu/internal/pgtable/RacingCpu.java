package org.dmalib.iommu.smmu.internal.pgtable;

import org.dmalib.hw.Cpu;

/**
 * A CPU that runs {@code rival} once, just before its first compare-and-swap: another CPU's
 * table install lands between this CPU's read of an empty entry and its CAS, so the CAS loses
 * deterministically. Everything else goes to the real CPU.
 */
final class RacingCpu implements Cpu {
    private final Cpu real;
    private Runnable rival;

    RacingCpu(Cpu real, Runnable rival) {
        this.real = real;
        this.rival = rival;
    }

    @Override
    public long compareAndSwapLong(long paddr, long expected, long update) {
        Runnable r = rival;
        rival = null;
        if (r != null) {
            r.run();
        }
        return real.compareAndSwapLong(paddr, expected, update);
    }

    @Override
    public int id() {
        return real.id();
    }

    @Override
    public int lineSize() {
        return real.lineSize();
    }

    @Override
    public byte loadByte(long paddr) {
        return real.loadByte(paddr);
    }

    @Override
    public void storeByte(long paddr, byte value) {
        real.storeByte(paddr, value);
    }

    @Override
    public long loadLong(long paddr) {
        return real.loadLong(paddr);
    }

    @Override
    public void storeLong(long paddr, long value) {
        real.storeLong(paddr, value);
    }

    @Override
    public void load(long paddr, byte[] dst, int offset, int length) {
        real.load(paddr, dst, offset, length);
    }

    @Override
    public void store(long paddr, byte[] src, int offset, int length) {
        real.store(paddr, src, offset, length);
    }

    @Override
    public void zero(long paddr, long length) {
        real.zero(paddr, length);
    }

    @Override
    public boolean isCached(long paddr) {
        return real.isCached(paddr);
    }

    @Override
    public boolean isDirty(long paddr) {
        return real.isDirty(paddr);
    }
}

package org.dmalib.hw.cache;

import java.util.Arrays;
import org.dmalib.hw.internal.CoherenceFabric;

/**
 * A list of range maintenance instructions one CPU issues back to back, for a caller that
 * maintains many ranges at once (a scatterlist's segments): recorded here, then issued by
 * {@link CacheMaintenance#issue} in the order they were added, as one transaction of the
 * machine. Issuing a batch is exactly issuing its ranges one after the other with
 * {@link CacheMaintenance#cleanRange}, {@link CacheMaintenance#invalidateRange} and
 * {@link CacheMaintenance#cleanInvalidateRange} (one legal interleaving: nothing else runs
 * between them), with the same counts.
 *
 * <p>Each range is checked when it is added (a bad one is refused and not recorded), so a
 * batch built without an exception issues everything it holds.
 *
 * <p>Not thread-safe: one batch per caller, on the caller's thread.
 */
public final class MaintenanceBatch {
    private final CacheMaintenance dc;
    // CoherenceFabric.RANGE_* op codes
    private byte[] ops;
    private long[] paddrs;
    private long[] lengths;
    private int size;

    MaintenanceBatch(CacheMaintenance dc, int capacity) {
        this.dc = dc;
        int n = Math.max(1, capacity);
        this.ops = new byte[n];
        this.paddrs = new long[n];
        this.lengths = new long[n];
    }

    /**
     * Adds DC CVAC of every line {@code [paddr, paddr + length)} touches.
     *
     * @param paddr the first byte's address, any alignment
     * @param length bytes, not negative; 0 adds nothing
     * @throws IllegalArgumentException if {@code length} is negative (nothing is added)
     * @throws org.dmalib.hw.PhysicalAddressException if any byte is outside memory (nothing is
     *     added)
     */
    public void clean(long paddr, long length) {
        add(CoherenceFabric.RANGE_CLEAN, paddr, length);
    }

    /**
     * Adds DC IVAC of every line {@code [paddr, paddr + length)} touches, partial ones included.
     *
     * @param paddr the first byte's address, any alignment
     * @param length bytes, not negative; 0 adds nothing
     * @throws IllegalArgumentException if {@code length} is negative (nothing is added)
     * @throws org.dmalib.hw.PhysicalAddressException if any byte is outside memory (nothing is
     *     added)
     */
    public void invalidate(long paddr, long length) {
        add(CoherenceFabric.RANGE_INVALIDATE, paddr, length);
    }

    /**
     * Adds DC CIVAC of every line {@code [paddr, paddr + length)} touches.
     *
     * @param paddr the first byte's address, any alignment
     * @param length bytes, not negative; 0 adds nothing
     * @throws IllegalArgumentException if {@code length} is negative (nothing is added)
     * @throws org.dmalib.hw.PhysicalAddressException if any byte is outside memory (nothing is
     *     added)
     */
    public void cleanInvalidate(long paddr, long length) {
        add(CoherenceFabric.RANGE_CLEAN_INVALIDATE, paddr, length);
    }

    /** {@return how many ranges are recorded and not yet issued} */
    public int size() {
        return size;
    }

    private void add(byte op, long paddr, long length) {
        if (!dc.checkRange(paddr, length)) {
            return;
        }
        if (size == ops.length) {
            int n = size * 2;
            ops = Arrays.copyOf(ops, n);
            paddrs = Arrays.copyOf(paddrs, n);
            lengths = Arrays.copyOf(lengths, n);
        }
        ops[size] = op;
        paddrs[size] = paddr;
        lengths[size] = length;
        size++;
    }

    /**
     * Returns whether {@code other} issues as the CPU this batch was made for: the same CPU of
     * the same machine, whichever of its views (two threads racing through
     * {@link CacheMaintenance#of} can each get a view of their own).
     */
    boolean isFor(CacheMaintenance other) {
        return dc == other || dc.isSameCpu(other);
    }

    byte[] ops() {
        return ops;
    }

    long[] paddrs() {
        return paddrs;
    }

    long[] lengths() {
        return lengths;
    }

    void clear() {
        size = 0;
    }
}

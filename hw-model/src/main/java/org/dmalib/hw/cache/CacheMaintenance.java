package org.dmalib.hw.cache;

import java.util.Objects;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.internal.CoherenceFabric;
import org.dmalib.hw.internal.CpuCore;

/**
 * The data cache maintenance instructions one CPU can issue, by physical address, to the Point
 * of Coherency:
 *
 * <table>
 *   <caption>Instructions</caption>
 *   <tr><th>method</th><th>arm64</th><th>effect in every cache</th></tr>
 *   <tr><td>{@link #cleanLine}</td><td>DC CVAC</td><td>a dirty copy is written back and stays,
 *       clean</td></tr>
 *   <tr><td>{@link #invalidateLine}</td><td>DC IVAC</td><td>the copy is dropped, dirty data is
 *       lost</td></tr>
 *   <tr><td>{@link #cleanInvalidateLine}</td><td>DC CIVAC</td><td>written back if dirty, then
 *       dropped</td></tr>
 *   <tr><td>{@link #barrier}</td><td>DSB SY</td><td>completes this CPU's outstanding
 *       write-backs</td></tr>
 * </table>
 *
 * <p>{@link #cleanRange}, {@link #invalidateRange} and {@link #cleanInvalidateRange} are the
 * loop of {@code arch/arm64/mm/cache.S} ({@code dcache_by_line_op}) as one operation: exactly
 * the per-line instruction on every line the range touches, in address order, with no other
 * transaction of any CPU or master between them (one legal interleaving of the loop), and
 * counted as that many instructions. They check the whole range first and on bad input
 * maintain and count nothing.
 *
 * <p>A write-back issued by a clean is complete, in RAM, at the latest at the issuing CPU's next
 * barrier; a non-coherent DMA master that reads before then may see the old data. It lands
 * earlier only if another CPU cleans the same line or a coherent master writes to it (either
 * completes it at once), and it is superseded if the line is dirtied again and written back by
 * an eviction or a snoop. One barrier may complete a whole list of maintenance.
 *
 * <p>Thread-safety: safe for concurrent use; instances are cheap views of one CPU.
 */
public final class CacheMaintenance {
    private final int cpu;
    private final CoherenceFabric fabric;
    private final PhysicalMemory memory;

    /** Made only by {@link #of}, once per CPU. */
    private CacheMaintenance(CpuCore core) {
        this.cpu = core.id();
        this.fabric = core.fabric();
        this.memory = fabric.memory();
    }

    /**
     * Returns the instructions as issued by {@code cpu}.
     *
     * @param cpu a CPU of a machine built by this hardware model
     * @return the instructions of that CPU
     * @throws IllegalArgumentException if {@code cpu} is not one of the model's CPUs
     */
    public static CacheMaintenance of(Cpu cpu) {
        Objects.requireNonNull(cpu, "cpu");
        if (!(cpu instanceof CpuCore core)) {
            throw new IllegalArgumentException("cpu=" + cpu + " is not a CPU of the hardware model");
        }
        CacheMaintenance view = core.maintenance();
        if (view == null) {
            // a race makes two equal views; the CPU keeps one, either serves (a batch belongs
            // to the CPU, not to the view it was made by: MaintenanceBatch.isFor)
            view = new CacheMaintenance(core);
            core.maintenance(view);
        }
        return view;
    }

    /** Whether {@code other} is a view of the same CPU: its index, on the same fabric. */
    boolean isSameCpu(CacheMaintenance other) {
        return cpu == other.cpu && fabric == other.fabric;
    }

    /** {@return the index of the CPU issuing these instructions} */
    public int cpu() {
        return cpu;
    }

    /** {@return the data cache line size in bytes (arm64 reads it from CTR_EL0.DminLine)} */
    public int lineSize() {
        return fabric.lineSize();
    }

    /**
     * DC CVAC: clean the line holding {@code paddr} to the Point of Coherency.
     *
     * @param paddr any address in the line
     * @throws org.dmalib.hw.PhysicalAddressException if {@code paddr} is outside memory
     */
    public void cleanLine(long paddr) {
        memory.checkRange(paddr, 1);
        fabric.clean(cpu, paddr);
    }

    /**
     * DC IVAC: invalidate the line holding {@code paddr}; dirty data in it is discarded.
     *
     * @param paddr any address in the line
     * @throws org.dmalib.hw.PhysicalAddressException if {@code paddr} is outside memory
     */
    public void invalidateLine(long paddr) {
        memory.checkRange(paddr, 1);
        fabric.invalidate(cpu, paddr);
    }

    /**
     * DC CIVAC: clean, then invalidate, the line holding {@code paddr}.
     *
     * @param paddr any address in the line
     * @throws org.dmalib.hw.PhysicalAddressException if {@code paddr} is outside memory
     */
    public void cleanInvalidateLine(long paddr) {
        memory.checkRange(paddr, 1);
        fabric.cleanInvalidate(cpu, paddr);
    }

    /**
     * DC CVAC on every line {@code [paddr, paddr + length)} touches: exactly
     * {@link #cleanLine} of each of those lines in address order, issued back to back.
     *
     * @param paddr the first byte's address, any alignment
     * @param length bytes, not negative; 0 touches no line
     * @throws IllegalArgumentException if {@code length} is negative (nothing is maintained)
     * @throws org.dmalib.hw.PhysicalAddressException if any byte of the range is outside memory
     *     (nothing is maintained)
     */
    public void cleanRange(long paddr, long length) {
        if (checkRange(paddr, length)) {
            fabric.cleanRange(cpu, paddr, length);
        }
    }

    /**
     * DC IVAC on every line {@code [paddr, paddr + length)} touches, partial ones included
     * (their bytes outside the range are discarded too): exactly {@link #invalidateLine} of
     * each of those lines in address order, issued back to back.
     *
     * @param paddr the first byte's address, any alignment
     * @param length bytes, not negative; 0 touches no line
     * @throws IllegalArgumentException if {@code length} is negative (nothing is maintained)
     * @throws org.dmalib.hw.PhysicalAddressException if any byte of the range is outside memory
     *     (nothing is maintained)
     */
    public void invalidateRange(long paddr, long length) {
        if (checkRange(paddr, length)) {
            fabric.invalidateRange(cpu, paddr, length);
        }
    }

    /**
     * DC CIVAC on every line {@code [paddr, paddr + length)} touches: exactly
     * {@link #cleanInvalidateLine} of each of those lines in address order, issued back to back.
     *
     * @param paddr the first byte's address, any alignment
     * @param length bytes, not negative; 0 touches no line
     * @throws IllegalArgumentException if {@code length} is negative (nothing is maintained)
     * @throws org.dmalib.hw.PhysicalAddressException if any byte of the range is outside memory
     *     (nothing is maintained)
     */
    public void cleanInvalidateRange(long paddr, long length) {
        if (checkRange(paddr, length)) {
            fabric.cleanInvalidateRange(cpu, paddr, length);
        }
    }

    /**
     * Checks a range as the range instructions do before they issue anything; for software that
     * maintains one range with several instructions and must refuse a bad one before the first.
     *
     * @param paddr the first byte's address
     * @param length bytes, not negative
     * @return whether the range touches any line ({@code length > 0})
     * @throws IllegalArgumentException if {@code length} is negative
     * @throws org.dmalib.hw.PhysicalAddressException if any byte of the range is outside memory
     */
    public boolean checkRange(long paddr, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("length=" + length + " must not be negative");
        }
        memory.checkRange(paddr, length);
        return length > 0;
    }

    /**
     * Returns an empty batch of range instructions of this CPU, to fill and {@link #issue}.
     *
     * @param capacity how many ranges to make room for (it grows past that)
     * @return the batch
     */
    public MaintenanceBatch batch(int capacity) {
        return new MaintenanceBatch(this, capacity);
    }

    /**
     * Issues every range of {@code batch} in the order it was added, as one transaction
     * (exactly {@link #cleanRange} and its siblings one after the other), and empties the batch.
     * An empty batch issues nothing.
     *
     * @param batch a batch made by this CPU's {@link #batch}
     * @throws IllegalArgumentException if the batch was made by another CPU's instructions (a
     *     CPU of another machine is another CPU); nothing is issued
     */
    public void issue(MaintenanceBatch batch) {
        if (!batch.isFor(this)) {
            throw new IllegalArgumentException("the batch belongs to another CPU's instructions");
        }
        if (batch.size() > 0) {
            fabric.maintainRanges(cpu, batch.ops(), batch.paddrs(), batch.lengths(), batch.size());
            batch.clear();
        }
    }

    /** DSB SY: completes every write-back this CPU's maintenance has put in flight. */
    public void barrier() {
        fabric.barrier(cpu);
    }
}

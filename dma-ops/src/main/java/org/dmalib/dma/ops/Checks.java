package org.dmalib.dma.ops;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.Machine;
import org.dmalib.iommu.api.DmaDirection;

/**
 * Argument checks of the API edge; every failure names the value. Each returns its argument so
 * that it can be used inline, and may be called for the check alone. Stateless.
 */
final class Checks {
    private Checks() {}

    @CanIgnoreReturnValue
    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new DmaUsageException(name + "=null must not be null");
        }
        return value;
    }

    /** Checks that {@code cpu} is one of {@code machine}'s CPUs; {@code whose} names the machine. */
    @CanIgnoreReturnValue
    static Cpu cpuOf(Machine machine, Cpu cpu, String whose) {
        notNull(cpu, "cpu");
        if (cpu.id() < 0 || cpu.id() >= machine.cpuCount() || !machine.cpu(cpu.id()).equals(cpu)) {
            throw new DmaUsageException("cpu=" + cpu.id() + " is not a CPU of " + whose);
        }
        return cpu;
    }

    @CanIgnoreReturnValue
    static DmaDirection mappable(DmaDirection dir) {
        notNull(dir, "dir");
        if (!dir.isValidForMapping()) {
            throw new DmaUsageException("dir=" + dir + " is not a direction to map in");
        }
        return dir;
    }

    @CanIgnoreReturnValue
    static long positive(long value, String name) {
        if (value <= 0) {
            throw new DmaUsageException(name + "=" + value + " must be positive");
        }
        return value;
    }

    @CanIgnoreReturnValue
    static long notNegative(long value, String name) {
        if (value < 0) {
            throw new DmaUsageException(name + "=" + value + " must not be negative");
        }
        return value;
    }
}

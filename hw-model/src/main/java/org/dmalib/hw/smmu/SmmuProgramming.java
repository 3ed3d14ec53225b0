package org.dmalib.hw.smmu;

import java.util.Objects;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.internal.smmu.SmmuDevice;

/**
 * The SMMU's programming interface: its memory-mapped registers, as the SMMUv3 driver reaches
 * them with {@code readl}/{@code writel}/{@code writeq}. Everything else the driver programs
 * lives in simulated RAM in the architected encodings: the linear stream table
 * ({@link SteLayout}), context descriptors ({@link CdLayout}), translation tables
 * ({@link DescriptorLayout}), the command queue ({@link CommandLayout}) and the event queue
 * ({@link EventLayout}). Register offsets and fields are in {@link SmmuRegisters}.
 *
 * <p>Model of time: a write to {@code CMDQ_PROD} is the doorbell. The SMMU consumes every command
 * up to PROD before the write returns, so after it CONS equals PROD (unless a command error
 * stopped it) and every CMD_SYNC up to PROD has completed. Other registers take effect at once
 * (CR0ACK mirrors CR0). The SMMU reads STEs, CDs and commands through its configuration cache
 * and RAM: a driver must write them to memory the SMMU can see (clean them from CPU caches on an
 * SMMU without IDR0.COHACC) before issuing the command that uses them.
 *
 * <p>Thread-safety: safe for concurrent use; each register access is atomic with respect to the
 * SMMU's translations and command consumption.
 */
public final class SmmuProgramming {
    private final SmmuDevice device;

    private SmmuProgramming(SmmuDevice device) {
        this.device = device;
    }

    /**
     * Returns the programming interface of {@code smmu}.
     *
     * @param smmu an SMMU of a machine built by this hardware model
     * @return its programming interface
     * @throws NullPointerException if {@code smmu} is null
     * @throws IllegalArgumentException if {@code smmu} is not an SMMU of the hardware model
     */
    public static SmmuProgramming of(Smmu smmu) {
        Objects.requireNonNull(smmu, "smmu");
        if (!(smmu instanceof SmmuDevice device)) {
            throw new IllegalArgumentException("smmu=" + smmu + " is not an SMMU of the hardware model");
        }
        return new SmmuProgramming(device);
    }

    /** {@return the SMMU this interface programs} */
    public Smmu smmu() {
        return device;
    }

    /**
     * Reads a 32-bit register (readl).
     *
     * @param offset the register offset, one of the 32-bit registers of {@link SmmuRegisters}
     * @return the value
     * @throws IllegalArgumentException if there is no 32-bit register at {@code offset}
     */
    public int readRegister(int offset) {
        return device.read32(offset);
    }

    /**
     * Writes a 32-bit register (writel). Writes to read-only registers are ignored. Writing
     * CMDQ_PROD, GERRORN or CR0 lets the SMMU consume the command queue before returning.
     *
     * @param offset the register offset, one of the 32-bit registers of {@link SmmuRegisters}
     * @param value the value
     * @throws IllegalArgumentException if there is no 32-bit register at {@code offset}
     */
    public void writeRegister(int offset, int value) {
        device.write32(offset, value);
    }

    /**
     * Reads a 64-bit register (readq): STRTAB_BASE, CMDQ_BASE, EVENTQ_BASE or an IRQ_CFG0.
     *
     * @param offset the register offset
     * @return the value
     * @throws IllegalArgumentException if there is no 64-bit register at {@code offset}
     */
    public long readRegister64(int offset) {
        return device.read64(offset);
    }

    /**
     * Writes a 64-bit register (writeq): STRTAB_BASE, CMDQ_BASE, EVENTQ_BASE or an IRQ_CFG0.
     *
     * @param offset the register offset
     * @param value the value
     * @throws IllegalArgumentException if there is no 64-bit register at {@code offset}
     */
    public void writeRegister64(int offset, long value) {
        device.write64(offset, value);
    }
}

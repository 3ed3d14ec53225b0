package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SteLayout;

/**
 * The SMMU's control registers that are not part of a queue: ID registers (computed from the
 * configuration), CR0/CR1/CR2, GBPA, IRQ control, GERROR/GERRORN and the stream table base.
 * Writes take effect at once (CR0ACK mirrors CR0 immediately, GBPA.UPDATE reads back 0).
 *
 * <p>Not thread-safe: the owning SMMU serialises access.
 */
final class Registers {
    // CR0 bits this SMMU implements: SMMUEN, EVENTQEN, CMDQEN (no PRI queue, no ATS check)
    private static final long CR0_IMPLEMENTED = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN;
    // SMMU_GBPA reset value 0x1000: SHCFG = use incoming, no abort (QEMU SMMU_GBPA_RESET_VAL)
    private static final long GBPA_RESET = 0x1000;
    // GERROR bits this SMMU can raise: CMDQ_ERR, EVENTQ_ABT_ERR and MSI_CMDQ_ABT_ERR
    private static final long GERROR_IMPLEMENTED = GERROR_CMDQ_ERR | GERROR_EVTQ_ABT_ERR
            | GERROR_MSI_CMDQ_ABT_ERR;

    private final SmmuConfig config;
    private final int idr0;
    private final int idr1;
    private final int idr3;
    private final int idr5;

    private long cr0;
    private long cr1;
    private long cr2;
    private long gbpa = GBPA_RESET;
    private long irqCtrl;
    private long gerror;
    private long gerrorn;
    private long gerrorIrqCfg0;
    private long gerrorIrqCfg1;
    private long gerrorIrqCfg2;
    private long strtabBase;
    private long strtabBaseCfg;
    // register writes so far: while it stays the same, no configuration register has changed
    private long writes;

    Registers(SmmuConfig config) {
        this.config = config;
        long v = IDR0_S1P
                | Fields.prep(IDR0_TTF, IDR0_TTF_AARCH64)
                | (config.coherentWalk() ? IDR0_COHACC : 0)
                | (config.asidBits() == 16 ? IDR0_ASID16 : 0)
                | IDR0_MSI
                | Fields.prep(IDR0_TTENDIAN, IDR0_TTENDIAN_LE)
                | Fields.prep(IDR0_STALL_MODEL, 1) // 0b01: stall not supported
                | IDR0_TERM_MODEL; // terminated transactions abort (no RAZ/WI)
        this.idr0 = (int) v;
        this.idr1 = (int) (Fields.prep(IDR1_SIDSIZE, config.streamIdBits())
                | Fields.prep(IDR1_EVENTQS, config.eventQueueLog2())
                | Fields.prep(IDR1_CMDQS, config.commandQueueLog2()));
        this.idr3 = config.rangeInvalidation() ? (int) IDR3_RIL : 0;
        this.idr5 = (int) (Fields.prep(IDR5_OAS, addressBitsField(config.outputAddressBits()))
                | (config.granule4K() ? IDR5_GRAN4K : 0)
                | (config.granule16K() ? IDR5_GRAN16K : 0)
                | (config.granule64K() ? IDR5_GRAN64K : 0));
    }

    /** Returns whether {@code offset} is a 32-bit register handled here. */
    static boolean handles32(int offset) {
        return switch (offset) {
            case IDR0, IDR1, IDR2, IDR3, IDR4, IDR5, IIDR, AIDR, CR0, CR0ACK, CR1, CR2, STATUSR,
                    GBPA, IRQ_CTRL, IRQ_CTRLACK, GERROR, GERRORN, GERROR_IRQ_CFG1,
                    GERROR_IRQ_CFG2, STRTAB_BASE_CFG -> true;
            default -> false;
        };
    }

    /** Returns whether {@code offset} is a 64-bit register handled here. */
    static boolean handles64(int offset) {
        return offset == GERROR_IRQ_CFG0 || offset == STRTAB_BASE;
    }

    int read32(int offset) {
        return switch (offset) {
            case IDR0 -> idr0;
            case IDR1 -> idr1;
            case IDR3 -> idr3;
            case IDR5 -> idr5;
            case AIDR -> config.rangeInvalidation() ? 2 : 1; // ArchMinorRev: SMMUv3.2 has RIL
            case CR0, CR0ACK -> (int) cr0;
            case CR1 -> (int) cr1;
            case CR2 -> (int) cr2;
            case GBPA -> (int) gbpa;
            case IRQ_CTRL, IRQ_CTRLACK -> (int) irqCtrl;
            case GERROR -> (int) gerror;
            case GERRORN -> (int) gerrorn;
            case GERROR_IRQ_CFG1 -> (int) gerrorIrqCfg1;
            case GERROR_IRQ_CFG2 -> (int) gerrorIrqCfg2;
            case STRTAB_BASE_CFG -> (int) strtabBaseCfg;
            default -> 0; // IDR2, IDR4, IIDR, STATUSR
        };
    }

    /** Writes a 32-bit register; read-only registers ignore writes, as on hardware. */
    void write32(int offset, int value) {
        writes++;
        long v = value & 0xffff_ffffL;
        switch (offset) {
            case CR0 -> cr0 = v & CR0_IMPLEMENTED;
            case CR1 -> cr1 = v & Fields.mask(11, 0); // TABLE_SH/OC/IC, QUEUE_SH/OC/IC
            case CR2 -> cr2 = v & (CR2_PTM | CR2_RECINVSID | CR2_E2H); // the rest RES0
            case GBPA -> {
                if (Fields.test(GBPA_UPDATE, v)) {
                    gbpa = v & ~GBPA_UPDATE;
                }
            }
            case IRQ_CTRL -> irqCtrl = v & Fields.mask(2, 0);
            case GERRORN -> gerrorn = v & GERROR_IMPLEMENTED;
            case GERROR_IRQ_CFG1 -> gerrorIrqCfg1 = v;
            case GERROR_IRQ_CFG2 -> gerrorIrqCfg2 = v;
            case STRTAB_BASE_CFG -> strtabBaseCfg = v & (STRTAB_BASE_CFG_FMT | Fields.mask(10, 0));
            default -> { } // ID registers, CR0ACK, STATUSR, IRQ_CTRLACK, GERROR: read-only
        }
    }

    long read64(int offset) {
        return offset == STRTAB_BASE ? strtabBase : gerrorIrqCfg0;
    }

    void write64(int offset, long value) {
        writes++;
        if (offset == STRTAB_BASE) {
            strtabBase = value & (STRTAB_BASE_ADDR | STRTAB_BASE_RA);
        } else {
            gerrorIrqCfg0 = value & Fields.mask(51, 2);
        }
    }

    /**
     * Returns how many register writes there have been (the only way CR0, GBPA and the stream
     * table registers change; raising a global error changes only GERROR, which translation
     * does not read).
     */
    long writes() {
        return writes;
    }

    boolean smmuEnabled() {
        return Fields.test(CR0_SMMUEN, cr0);
    }

    boolean commandQueueEnabled() {
        return Fields.test(CR0_CMDQEN, cr0);
    }

    boolean eventQueueEnabled() {
        return Fields.test(CR0_EVENTQEN, cr0);
    }

    /**
     * Whether C_BAD_STREAMID is recorded (CR2.RECINVSID, IHI 0070 SMMU_CR2). It is 0 from
     * reset here, so a driver that wants the event must set it, as Linux
     * arm_smmu_device_reset does.
     */
    boolean recordInvalidStreamIds() {
        return Fields.test(CR2_RECINVSID, cr2);
    }

    boolean bypassAborts() {
        return Fields.test(GBPA_ABORT, gbpa);
    }

    /** Whether STE/CD-table fetches may snoop: COHACC and a cacheable CR1.TABLE_IC. */
    boolean tableFetchCoherent() {
        return config.coherentWalk() && Fields.get(CR1_TABLE_IC, cr1) != 0;
    }

    /** Whether queue accesses may snoop: COHACC and a cacheable CR1.QUEUE_IC. */
    boolean queueCoherent() {
        return config.coherentWalk() && Fields.get(CR1_QUEUE_IC, cr1) != 0;
    }

    /**
     * Returns the linear stream table's effective base: STRTAB_BASE.ADDR aligned down to the
     * table size ({@code ADDR[LOG2SIZE + 5:0]} read as 0, IHI 0070 SMMU_STRTAB_BASE), as QEMU's
     * smmu_find_ste does. Meaningful only while {@link #strtabLog2Size} is not negative.
     */
    long strtabAddress() {
        long tableBytes = (long) SteLayout.BYTES << Math.max(0, strtabLog2Size());
        return strtabBase & STRTAB_BASE_ADDR & -tableBytes;
    }

    /** Returns STRTAB_BASE_CFG.LOG2SIZE capped at IDR1.SIDSIZE, or -1 for a non-linear table. */
    int strtabLog2Size() {
        if (Fields.get(STRTAB_BASE_CFG_FMT, strtabBaseCfg) != 0) {
            return -1;
        }
        return (int) Math.min(Fields.get(STRTAB_BASE_CFG_LOG2SIZE, strtabBaseCfg),
                config.streamIdBits());
    }

    /** Returns whether the global error {@code bit} is active (GERROR differs from GERRORN). */
    boolean errorActive(long bit) {
        return ((gerror ^ gerrorn) & bit) != 0;
    }

    /** Activates the global error {@code bit} by toggling GERROR, unless already active. */
    void raiseError(long bit) {
        if (!errorActive(bit)) {
            gerror ^= bit;
        }
    }
}

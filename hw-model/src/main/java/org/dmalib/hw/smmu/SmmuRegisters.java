package org.dmalib.hw.smmu;

/**
 * SMMUv3 register offsets and fields, as in Linux {@code drivers/iommu/arm/arm-smmu-v3/
 * arm-smmu-v3.h} and QEMU {@code hw/arm/smmuv3-internal.h}. Registers are 32 bits wide unless
 * noted as 64-bit; page-1 registers sit at {@link #PAGE1} plus their page-0 style offset.
 *
 * <pre>
 *  CMDQ_BASE / EVENTQ_BASE (64-bit)        CMDQ_PROD / CMDQ_CONS (32-bit)
 *  63 62 61..52 51 ......... 5 4 ... 0     31 30....24 23 ..  n+1  n  n-1 ... 0
 *  0  RA  res0    ADDR[51:5]  LOG2SIZE      0   ERR(CONS)   res0  WRP    index
 * </pre>
 * where n = the queue's effective LOG2SIZE. EVENTQ_PROD bit 31 is OVFLG, EVENTQ_CONS bit 31
 * OVACKFLG.
 *
 * <p>Thread-safety: constants only.
 */
public final class SmmuRegisters {
    private SmmuRegisters() {}

    // -- ID registers (read-only) --

    /** SMMU_IDR0. */
    public static final int IDR0 = 0x0;
    /** IDR0.S1P: stage 1 translation supported. */
    public static final long IDR0_S1P = 1L << 1;
    /** IDR0.TTF: translation table formats (2 = AArch64 only). */
    public static final long IDR0_TTF = Fields.mask(3, 2);
    /** IDR0.TTF value: AArch64 tables only. */
    public static final int IDR0_TTF_AARCH64 = 2;
    /** IDR0.COHACC: coherent access to tables, queues and data supported. */
    public static final long IDR0_COHACC = 1L << 4;
    /** IDR0.ASID16: 16-bit ASIDs. */
    public static final long IDR0_ASID16 = 1L << 12;
    /** IDR0.MSI: message-signalled interrupts (CMD_SYNC completion write) supported. */
    public static final long IDR0_MSI = 1L << 13;
    /** IDR0.TTENDIAN: table endianness (2 = little-endian only). */
    public static final long IDR0_TTENDIAN = Fields.mask(22, 21);
    /** IDR0.TTENDIAN value: little-endian only. */
    public static final int IDR0_TTENDIAN_LE = 2;
    /** IDR0.STALL_MODEL: 1 = stall not supported (terminate model only). */
    public static final long IDR0_STALL_MODEL = Fields.mask(25, 24);
    /** IDR0.TERM_MODEL: 1 = a terminated transaction always aborts (CD.A is treated as 1). */
    public static final long IDR0_TERM_MODEL = 1L << 26;
    /** IDR0.ST_LVL: stream table levels (0 = linear only). */
    public static final long IDR0_ST_LVL = Fields.mask(28, 27);

    /** SMMU_IDR1. */
    public static final int IDR1 = 0x4;
    /** IDR1.SIDSIZE: stream ID bits. */
    public static final long IDR1_SIDSIZE = Fields.mask(5, 0);
    /** IDR1.SSIDSIZE: substream ID bits (0 here: one context descriptor per stream). */
    public static final long IDR1_SSIDSIZE = Fields.mask(10, 6);
    /** IDR1.EVENTQS: log2 of the largest event queue. */
    public static final long IDR1_EVENTQS = Fields.mask(20, 16);
    /** IDR1.CMDQS: log2 of the largest command queue. */
    public static final long IDR1_CMDQS = Fields.mask(25, 21);

    /** SMMU_IDR2 (reads 0). */
    public static final int IDR2 = 0x8;
    /** SMMU_IDR3. */
    public static final int IDR3 = 0xc;
    /** IDR3.RIL: range invalidation supported (SMMUv3.2). */
    public static final long IDR3_RIL = 1L << 10;
    /** SMMU_IDR4 (implementation defined, reads 0). */
    public static final int IDR4 = 0x10;
    /** SMMU_IDR5. */
    public static final int IDR5 = 0x14;
    /** IDR5.OAS: output address size, see {@link #addressBits}. */
    public static final long IDR5_OAS = Fields.mask(2, 0);
    /** IDR5.GRAN4K. */
    public static final long IDR5_GRAN4K = 1L << 4;
    /** IDR5.GRAN16K. */
    public static final long IDR5_GRAN16K = 1L << 5;
    /** IDR5.GRAN64K. */
    public static final long IDR5_GRAN64K = 1L << 6;
    /** SMMU_IIDR (reads 0). */
    public static final int IIDR = 0x18;
    /** SMMU_AIDR: 1 = SMMUv3.1, 2 = SMMUv3.2 (advertised when RIL is). */
    public static final int AIDR = 0x1c;

    // -- control --

    /** SMMU_CR0. */
    public static final int CR0 = 0x20;
    /** CR0.SMMUEN. */
    public static final long CR0_SMMUEN = 1L << 0;
    /** CR0.EVENTQEN. */
    public static final long CR0_EVENTQEN = 1L << 2;
    /** CR0.CMDQEN. */
    public static final long CR0_CMDQEN = 1L << 3;
    /** SMMU_CR0ACK: mirrors CR0 once the change took effect (at once in this model). */
    public static final int CR0ACK = 0x24;
    /** SMMU_CR1: cacheability and shareability of table and queue accesses. */
    public static final int CR1 = 0x28;
    /** CR1.TABLE_IC: inner cacheability of STE/CD fetches (0 = non-cacheable). */
    public static final long CR1_TABLE_IC = Fields.mask(7, 6);
    /** CR1.QUEUE_IC: inner cacheability of queue accesses (0 = non-cacheable). */
    public static final long CR1_QUEUE_IC = Fields.mask(1, 0);
    /** SMMU_CR2: E2H and PTM are stored without effect; RECINVSID gates C_BAD_STREAMID. */
    public static final int CR2 = 0x2c;
    /** CR2.E2H (stored, no effect: no EL2 StreamWorld here). */
    public static final long CR2_E2H = 1L << 0;
    /**
     * CR2.RECINVSID: record C_BAD_STREAMID for a transaction whose StreamID is out of range;
     * clear, such a transaction is terminated and nothing is recorded. Resets to 0 here.
     */
    public static final long CR2_RECINVSID = 1L << 1;
    /** CR2.PTM (stored, no effect: broadcast TLB maintenance is not modelled). */
    public static final long CR2_PTM = 1L << 2;
    /** SMMU_STATUSR (reads 0). */
    public static final int STATUSR = 0x40;
    /** SMMU_GBPA: global bypass attribute, what traffic does while SMMUEN is 0. */
    public static final int GBPA = 0x44;
    /** GBPA.ABORT: abort, rather than bypass, traffic while SMMUEN is 0. */
    public static final long GBPA_ABORT = 1L << 20;
    /** GBPA.UPDATE: write 1 with new values; reads 0 once done (at once here). */
    public static final long GBPA_UPDATE = 1L << 31;
    /** SMMU_IRQ_CTRL (stored; this model raises no interrupts). */
    public static final int IRQ_CTRL = 0x50;
    /** SMMU_IRQ_CTRLACK. */
    public static final int IRQ_CTRLACK = 0x54;
    /** SMMU_GERROR: global errors, active while a bit differs from GERRORN. */
    public static final int GERROR = 0x60;
    /** GERROR.CMDQ_ERR: a command error stopped the command queue. */
    public static final long GERROR_CMDQ_ERR = 1L << 0;
    /** GERROR.EVENTQ_ABT_ERR: an event queue write aborted. */
    public static final long GERROR_EVTQ_ABT_ERR = 1L << 2;
    /** GERROR.MSI_CMDQ_ABT_ERR: a CMD_SYNC's MSI write aborted (Linux bit 4). */
    public static final long GERROR_MSI_CMDQ_ABT_ERR = 1L << 4;
    /** SMMU_GERRORN: written by software to acknowledge GERROR bits. */
    public static final int GERRORN = 0x64;
    /** SMMU_GERROR_IRQ_CFG0 (64-bit, stored). */
    public static final int GERROR_IRQ_CFG0 = 0x68;
    /** SMMU_GERROR_IRQ_CFG1 (stored). */
    public static final int GERROR_IRQ_CFG1 = 0x70;
    /** SMMU_GERROR_IRQ_CFG2 (stored). */
    public static final int GERROR_IRQ_CFG2 = 0x74;

    // -- stream table --

    /** SMMU_STRTAB_BASE (64-bit). */
    public static final int STRTAB_BASE = 0x80;
    /** STRTAB_BASE.ADDR: physical address of the stream table, 64-byte aligned. */
    public static final long STRTAB_BASE_ADDR = Fields.mask(51, 6);
    /** STRTAB_BASE.RA: read-allocate hint (stored). */
    public static final long STRTAB_BASE_RA = 1L << 62;
    /** SMMU_STRTAB_BASE_CFG. */
    public static final int STRTAB_BASE_CFG = 0x88;
    /** STRTAB_BASE_CFG.FMT: 0 = linear (the only format this SMMU supports). */
    public static final long STRTAB_BASE_CFG_FMT = Fields.mask(17, 16);
    /** STRTAB_BASE_CFG.LOG2SIZE: log2 of the number of STEs. */
    public static final long STRTAB_BASE_CFG_LOG2SIZE = Fields.mask(5, 0);

    // -- queues --

    /** SMMU_CMDQ_BASE (64-bit). */
    public static final int CMDQ_BASE = 0x90;
    /** SMMU_CMDQ_PROD: written by software; the write makes the SMMU consume up to it. */
    public static final int CMDQ_PROD = 0x98;
    /** SMMU_CMDQ_CONS: advanced by the SMMU; writable only while CMDQEN is 0. */
    public static final int CMDQ_CONS = 0x9c;
    /** CMDQ_CONS.ERR: the command error of the command at CONS. */
    public static final long CMDQ_CONS_ERR = Fields.mask(30, 24);
    /** CERROR_NONE. */
    public static final int CERROR_NONE = 0;
    /** CERROR_ILL: illegal command (unknown opcode or field). */
    public static final int CERROR_ILL = 1;
    /** CERROR_ABT: the command fetch aborted. */
    public static final int CERROR_ABT = 2;
    /** SMMU_EVENTQ_BASE (64-bit). */
    public static final int EVENTQ_BASE = 0xa0;
    /** Offset of register page 1 (SMMUv3 has two 64 KiB register pages). */
    public static final int PAGE1 = 0x10000;
    /** SMMU_EVENTQ_PROD (page 1): advanced by the SMMU; writable only while EVENTQEN is 0. */
    public static final int EVENTQ_PROD = PAGE1 + 0xa8;
    /** SMMU_EVENTQ_CONS (page 1): written by software as it consumes events. */
    public static final int EVENTQ_CONS = PAGE1 + 0xac;
    /** EVENTQ_PROD.OVFLG / EVENTQ_CONS.OVACKFLG: events were lost to a full queue. */
    public static final long EVENTQ_OVFLG = 1L << 31;
    /** SMMU_EVENTQ_IRQ_CFG0 (64-bit, stored). */
    public static final int EVENTQ_IRQ_CFG0 = 0xb0;
    /** SMMU_EVENTQ_IRQ_CFG1 (stored). */
    public static final int EVENTQ_IRQ_CFG1 = 0xb8;
    /** SMMU_EVENTQ_IRQ_CFG2 (stored). */
    public static final int EVENTQ_IRQ_CFG2 = 0xbc;
    /** Queue base fields: ADDR[51:5]. */
    public static final long Q_BASE_ADDR = Fields.mask(51, 5);
    /** Queue base fields: LOG2SIZE[4:0]. */
    public static final long Q_BASE_LOG2SIZE = Fields.mask(4, 0);
    /** Bytes per command queue entry (CMDQ_ENT_DWORDS = 2). */
    public static final int CMDQ_ENTRY_BYTES = 16;
    /** Bytes per event queue entry (EVTQ_ENT_DWORDS = 4). */
    public static final int EVENTQ_ENTRY_BYTES = 32;

    /**
     * Returns the address size in bits encoded by an IDR5.OAS or CD.IPS field value.
     *
     * @param field the field value; values above 5 mean 48 bits here (52-bit is unsupported)
     * @return the size in bits
     */
    public static int addressBits(int field) {
        // IDR5_OAS_32_BIT = 0 ... IDR5_OAS_48_BIT = 5 (arm-smmu-v3.h)
        return switch (field) {
            case 0 -> 32;
            case 1 -> 36;
            case 2 -> 40;
            case 3 -> 42;
            case 4 -> 44;
            default -> 48;
        };
    }

    /**
     * Returns the IDR5.OAS / CD.IPS field value that encodes {@code bits}.
     *
     * @param bits one of 32, 36, 40, 42, 44, 48
     * @return the field value
     * @throws IllegalArgumentException if {@code bits} has no encoding
     */
    public static int addressBitsField(int bits) {
        for (int field = 0; field <= 5; field++) {
            if (addressBits(field) == bits) {
                return field;
            }
        }
        throw new IllegalArgumentException("address size " + bits + " bits has no encoding");
    }
}

package org.dmalib.iommu.smmu;

import static org.dmalib.hw.smmu.CommandLayout.*;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;

/**
 * Reads back what the driver wrote to the command queue: the ring in RAM between two values of
 * {@code CMDQ_PROD}, decoded field by field as the SMMU decodes it. Only for submissions of fewer
 * commands than the ring holds.
 */
final class CommandRing {
    /** One decoded command; the TLBI fields are 0 for other opcodes. */
    record Cmd(int opcode, int asid, int num, int scale, int tg, int ttl, boolean leaf,
            long address) {
        /** A range or page {@code TLBI_NH_VA}. */
        static Cmd va(int asid, long address, int num, int scale, int tg, int ttl, boolean leaf) {
            return new Cmd(OP_TLBI_NH_VA, asid, num, scale, tg, ttl, leaf, address);
        }

        static Cmd asid(int asid) {
            return new Cmd(OP_TLBI_NH_ASID, asid, 0, 0, 0, 0, false, 0);
        }

        static Cmd sync() {
            return new Cmd(OP_CMD_SYNC, 0, 0, 0, 0, 0, false, 0);
        }

        /** Bytes a range TLBI covers: {@code (NUM + 1) * 2^SCALE} granules of TG. */
        long rangeBytes() {
            return (long) (num + 1) << (scale + 10 + 2 * tg);
        }
    }

    private final SmmuProgramming regs;
    private final PhysicalMemory ram;
    private long mark;

    CommandRing(Smmu smmu, PhysicalMemory ram) {
        this.regs = SmmuProgramming.of(smmu);
        this.ram = ram;
        this.mark = prod();
    }

    private long prod() {
        return regs.readRegister(SmmuRegisters.CMDQ_PROD) & 0xffff_ffffL;
    }

    /** Returns the commands written since the last call (or construction), in order. */
    List<Cmd> since() {
        long base64 = regs.readRegister64(SmmuRegisters.CMDQ_BASE);
        long base = base64 & SmmuRegisters.Q_BASE_ADDR;
        int log2 = (int) Fields.get(SmmuRegisters.Q_BASE_LOG2SIZE, base64);
        long wrapAndIndex = (1L << (log2 + 1)) - 1;
        long now = prod();
        long n = (now - mark) & wrapAndIndex;
        List<Cmd> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            long index = (mark + i) & ((1L << log2) - 1);
            long d0 = ram.readLong(base + index * SmmuRegisters.CMDQ_ENTRY_BYTES);
            long d1 = ram.readLong(base + index * SmmuRegisters.CMDQ_ENTRY_BYTES + Long.BYTES);
            int op = (int) Fields.get(OP, d0);
            if (op == OP_TLBI_NH_VA) {
                out.add(new Cmd(op, (int) Fields.get(TLBI_0_ASID, d0),
                        (int) Fields.get(TLBI_0_NUM, d0), (int) Fields.get(TLBI_0_SCALE, d0),
                        (int) Fields.get(TLBI_1_TG, d1), (int) Fields.get(TLBI_1_TTL, d1),
                        (d1 & TLBI_1_LEAF) != 0, d1 & TLBI_1_VA));
            } else if (op == OP_TLBI_NH_ASID) {
                out.add(Cmd.asid((int) Fields.get(TLBI_0_ASID, d0)));
            } else {
                out.add(new Cmd(op, 0, 0, 0, 0, 0, false, 0));
            }
        }
        mark = now;
        return out;
    }
}

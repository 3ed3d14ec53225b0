package org.dmalib.iommu.smmu.internal.cmdq;

import static org.dmalib.hw.smmu.CommandLayout.*;

import java.util.Objects;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;

/**
 * Encodes commands in the SMMUv3 16-byte format ({@code arm_smmu_cmdq_build_cmd}, arm-smmu-v3.c;
 * field positions in {@link org.dmalib.hw.smmu.CommandLayout}). Each method returns the two
 * little-endian doublewords as a {@link Command}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Commands {
    // CFGI_ALL is CFGI_STE_RANGE with RANGE = 31: all stream IDs (arm-smmu-v3.c, CMDQ_OP_CFGI_ALL)
    private static final int CFGI_RANGE_ALL = 31;

    private Commands() {}

    /**
     * One encoded command: {@code d0} is bits 63:0, {@code d1} bits 127:64.
     *
     * <p>Thread-safety: immutable; safe to share between threads.
     *
     * @param d0 the first doubleword (opcode in bits 7:0)
     * @param d1 the second doubleword
     */
    public record Command(long d0, long d1) {
        /** {@return the opcode, bits 7:0 of {@code d0}} */
        public int opcode() {
            return (int) Fields.get(OP, d0);
        }
    }

    /**
     * Encodes one planned TLB command.
     *
     * @param command a command of an invalidation plan
     * @return its encoding
     * @throws NullPointerException if {@code command} is null
     */
    public static Command encode(TlbCommand command) {
        Objects.requireNonNull(command, "command");
        if (command instanceof TlbCommand.TlbiNhVa va) {
            return new Command(OP_TLBI_NH_VA
                            | Fields.prep(TLBI_0_ASID, va.asid())
                            | Fields.prep(TLBI_0_NUM, va.num())
                            | Fields.prep(TLBI_0_SCALE, va.scale()),
                    (va.address() & TLBI_1_VA)
                            | Fields.prep(TLBI_1_TG, va.tg())
                            | Fields.prep(TLBI_1_TTL, va.ttl())
                            | (va.leaf() ? TLBI_1_LEAF : 0));
        }
        if (command instanceof TlbCommand.TlbiNhAsid asid) {
            return new Command(OP_TLBI_NH_ASID | Fields.prep(TLBI_0_ASID, asid.asid()), 0);
        }
        if (command instanceof TlbCommand.TlbiNhAll) {
            return new Command(OP_TLBI_NH_ALL, 0);
        }
        return sync();
    }

    /**
     * {@code CMD_SYNC} with CS = SEV: completion is seen by polling CONS (Linux without
     * {@code ARM_SMMU_OPT_MSIPOLL}; the MSI write-back variant is not used by this driver).
     *
     * @return the command
     */
    public static Command sync() {
        return new Command(OP_CMD_SYNC | Fields.prep(SYNC_0_CS, SYNC_CS_SEV), 0);
    }

    /**
     * {@code CMD_CFGI_STE} for {@code streamId}; not leaf, so the SMMU also drops the CD it
     * cached through that STE (Linux {@code arm_smmu_sync_ste_for_sid}: leaf = true only when
     * the CD is known unchanged).
     *
     * @param streamId the stream
     * @return the command
     */
    public static Command cfgiSte(int streamId) {
        return new Command(OP_CFGI_STE | Fields.prep(CFGI_0_SID, streamId & 0xffff_ffffL), 0);
    }

    /**
     * {@code CMD_CFGI_CD} for substream 0 of {@code streamId} (leaf: the CD only).
     *
     * @param streamId the stream
     * @return the command
     */
    public static Command cfgiCd(int streamId) {
        return new Command(OP_CFGI_CD | Fields.prep(CFGI_0_SID, streamId & 0xffff_ffffL),
                CFGI_1_LEAF);
    }

    /** {@return {@code CMD_CFGI_ALL} (CFGI_STE_RANGE, RANGE = 31): every cached STE and CD} */
    public static Command cfgiAll() {
        return new Command(OP_CFGI_STE_RANGE, Fields.prep(CFGI_1_RANGE, CFGI_RANGE_ALL));
    }

    /** {@return {@code CMD_TLBI_NSNH_ALL}: every non-secure, non-hyp TLB entry, all ASIDs} */
    public static Command tlbiNsnhAll() {
        return new Command(OP_TLBI_NSNH_ALL, 0);
    }
}

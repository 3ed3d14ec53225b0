package org.dmalib.iommu.smmu;

import java.util.Objects;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;

/**
 * One command the driver writes to the SMMU's command queue for TLB maintenance, with the raw
 * field values of the command (reference §5.2): the read-only view {@link UnmapPlan} hands out.
 *
 * <p>A range {@code TLBI_NH_VA} ({@code tg != 0}, SMMUv3.2 RIL) covers {@code (num + 1) *
 * 2^scale} granules of {@code 2^(10 + 2 * tg)} bytes from {@code address}; a non-range one has
 * {@code num}, {@code scale}, {@code tg} and {@code ttl} 0 and covers every entry translating
 * {@code address}. Fields a kind of command does not have are 0 (or false).
 *
 * <p>Immutable, so safe for concurrent use.
 *
 * @param op the opcode, not null
 * @param address {@code TLBI_NH_VA}: the first byte, a non-negative multiple of 4 KiB; else 0
 * @param num {@code TLBI_NH_VA}: the raw NUM field, 0 to 31; else 0
 * @param scale {@code TLBI_NH_VA}: the raw SCALE field, 0 to 31; else 0
 * @param tg {@code TLBI_NH_VA}: the raw TG field, 0 (no range) or 1, 2, 3 (4, 16, 64 KiB); else 0
 * @param ttl {@code TLBI_NH_VA}: the raw TTL field, 0 (any level) or 1 to 3; else 0
 * @param leaf {@code TLBI_NH_VA}: whether walk-cache entries may be kept; else false
 * @param asid the address space of a {@code TLBI_NH_VA} or {@code TLBI_NH_ASID}; else 0
 */
public record SmmuCommand(Op op, long address, int num, int scale, int tg, int ttl, boolean leaf,
        int asid) {

    /**
     * The opcodes a TLB-maintenance plan contains.
     *
     * <p>Thread-safety: immutable constants; safe to use from any thread.
     */
    public enum Op {
        /** {@code CMD_TLBI_NH_VA}: stage-1 entries of one ASID by address (range or not). */
        TLBI_NH_VA,
        /** {@code CMD_TLBI_NH_ASID}: every stage-1 entry of one ASID. */
        TLBI_NH_ASID,
        /** {@code CMD_TLBI_NH_ALL}: every stage-1 entry. */
        TLBI_NH_ALL,
        /** {@code CMD_SYNC}: completes when every earlier command has taken effect. */
        CMD_SYNC
    }

    /**
     * Checks that {@code op} is present and every field is in its range (parameters above).
     *
     * @param op the opcode: not null
     * @param address {@code TLBI_NH_VA}: the first byte, a non-negative multiple of 4 KiB; else 0
     * @param num {@code TLBI_NH_VA}: the raw NUM field, 0 to 31 (0 if {@code tg} is 0); else 0
     * @param scale {@code TLBI_NH_VA}: the raw SCALE field, 0 to 31 (0 if {@code tg} is 0);
     *     else 0
     * @param tg {@code TLBI_NH_VA}: the raw TG field, 0 (no range) or 1, 2, 3 (4, 16, 64 KiB);
     *     else 0
     * @param ttl {@code TLBI_NH_VA}: the raw TTL field, 0 (any level) or 1 to 3 (0 if {@code tg}
     *     is 0); else 0
     * @param leaf {@code TLBI_NH_VA}: whether walk-cache entries may be kept; else false
     * @param asid {@code TLBI_NH_VA} or {@code TLBI_NH_ASID}: the address space, 0 to
     *     {@code 0xFFFF}; else 0
     * @throws NullPointerException if {@code op} is null
     * @throws IllegalArgumentException naming a field outside its range, or a field the kind
     *     of command does not have that is not 0 (or false)
     */
    public SmmuCommand {
        Objects.requireNonNull(op, "op");
        switch (op) {
            // the driver's own command records check the fields, naming the bad one
            case TLBI_NH_VA -> {
                TlbCommand unused = new TlbCommand.TlbiNhVa(asid, address, num, scale, tg, ttl,
                        leaf);
            }
            case TLBI_NH_ASID -> {
                TlbCommand unused = new TlbCommand.TlbiNhAsid(asid);
                checkUnused(op, address, num, scale, tg, ttl, leaf, 0);
            }
            case TLBI_NH_ALL, CMD_SYNC -> checkUnused(op, address, num, scale, tg, ttl, leaf, asid);
        }
    }

    private static void checkUnused(Op op, long address, int num, int scale, int tg, int ttl,
            boolean leaf, int asid) {
        if (address != 0 || num != 0 || scale != 0 || tg != 0 || ttl != 0 || leaf || asid != 0) {
            throw new IllegalArgumentException(String.format(
                    "%s has no such fields: address=0x%x num=%d scale=%d tg=%d ttl=%d leaf=%b"
                            + " asid=%d must be 0", op, address, num, scale, tg, ttl, leaf, asid));
        }
    }

    /** Returns the driver's internal command as this view. */
    static SmmuCommand of(TlbCommand command) {
        if (command instanceof TlbCommand.TlbiNhVa va) {
            return new SmmuCommand(Op.TLBI_NH_VA, va.address(), va.num(), va.scale(), va.tg(),
                    va.ttl(), va.leaf(), va.asid());
        }
        if (command instanceof TlbCommand.TlbiNhAsid a) {
            return new SmmuCommand(Op.TLBI_NH_ASID, 0, 0, 0, 0, 0, false, a.asid());
        }
        if (command instanceof TlbCommand.TlbiNhAll) {
            return new SmmuCommand(Op.TLBI_NH_ALL, 0, 0, 0, 0, 0, false, 0);
        }
        return new SmmuCommand(Op.CMD_SYNC, 0, 0, 0, 0, 0, false, 0);
    }

    /** {@return whether this is a range {@code TLBI_NH_VA} (TG set)} */
    public boolean isRange() {
        return op == Op.TLBI_NH_VA && tg != 0;
    }

    /**
     * {@return the bytes a range {@code TLBI_NH_VA} covers from {@link #address}: {@code (num + 1)
     * * 2^scale} granules of {@code 2^(10 + 2 * tg)} bytes; 0 if this is not a range command}
     */
    public long rangeBytes() {
        return isRange() ? (long) (num + 1) << (scale + 10 + 2 * tg) : 0;
    }

    /**
     * {@return the command as one JSON object on one line, fields in this order:
     * {@code {"op":"TLBI_NH_VA","address":N,"num":N,"scale":N,"tg":N,"ttl":N,"leaf":true}},
     * {@code {"op":"TLBI_NH_ASID","asid":N}}, {@code {"op":"TLBI_NH_ALL"}} or
     * {@code {"op":"CMD_SYNC"}}; numbers in decimal}
     */
    public String json() {
        return switch (op) {
            case TLBI_NH_VA -> "{\"op\":\"TLBI_NH_VA\",\"address\":" + address + ",\"num\":" + num
                    + ",\"scale\":" + scale + ",\"tg\":" + tg + ",\"ttl\":" + ttl + ",\"leaf\":"
                    + leaf + "}";
            case TLBI_NH_ASID -> "{\"op\":\"TLBI_NH_ASID\",\"asid\":" + asid + "}";
            case TLBI_NH_ALL -> "{\"op\":\"TLBI_NH_ALL\"}";
            case CMD_SYNC -> "{\"op\":\"CMD_SYNC\"}";
        };
    }
}

package org.dmalib.hw.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.MemoryAddress;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One TLB invalidation command executed by the SMMU. Instant; no stack trace (the SMMU consumes
 * at the driver's doorbell, so the driver's submission event carries the interesting stack).
 */
@Name("org.dmalib.SmmuTlbInvalidation")
@Label("SMMU TLB Invalidation")
@Category({"dmalib", "SMMUv3 hardware"})
@Description("A TLBI command the SMMU executed, with its fields as written")
@StackTrace(false)
final class SmmuTlbInvalidationEvent extends jdk.jfr.Event {
    @Label("Opcode")
    @Description("CMD_TLBI_NH_VA, CMD_TLBI_NH_VAA, CMD_TLBI_NH_ASID, CMD_TLBI_NH_ALL or"
            + " CMD_TLBI_NSNH_ALL")
    String opcode;

    @Label("ASID")
    @Description("The ASID field (NH_VA, NH_ASID); -1 for commands of every ASID")
    int asid;

    @Label("IOVA")
    @Description("The ADDRESS field (NH_VA, NH_VAA); 0 for the others")
    @MemoryAddress
    long iova;

    @Label("Size")
    @Description("Bytes of the range, (NUM + 1) * 2^SCALE granules of TG, when the SMMU honours"
            + " the range fields (RIL and TG != 0); 0 otherwise")
    @DataAmount
    long size;

    @Label("NUM")
    int num;

    @Label("SCALE")
    int scale;

    @Label("TG")
    @Description("Translation granule of the range: 0 none, 1 4 KiB, 2 16 KiB, 3 64 KiB")
    int tg;

    @Label("TTL")
    @Description("Level of the leaf entries to drop; 0 any")
    int ttl;

    @Label("Leaf")
    @Description("Only leaf entries: the walk caches are kept")
    boolean leaf;

    @Label("Range")
    @Description("Whether the SMMU honoured NUM, SCALE, TG and TTL (RIL advertised, TG != 0)")
    boolean range;

    @Label("Entries Dropped")
    @Description("TLB and walk-cache entries the command invalidated")
    long entriesDropped;
}

package org.dmalib.hw.internal.jfr;

import static org.dmalib.hw.smmu.CommandLayout.*;

import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.smmu.Fields;

/**
 * Emits the SMMU model's Flight Recorder events. Every method first asks its event whether it
 * would be committed; while no recording enables it, a call costs one small allocation that
 * never escapes (escape analysis can remove it once the call is inlined) and one call that
 * returns false, and decodes nothing.
 *
 * <p>Stateless; safe for concurrent use.
 */
public final class SmmuTrace {
    // TG 1/2/3 select 4/16/64 KiB: granule shift = 10 + 2 * TG (as the command queue decodes it)
    private static final int TG_BASE_SHIFT = 10;

    private SmmuTrace() {}

    /**
     * Emits {@code org.dmalib.SmmuTlbInvalidation} for a TLBI command the SMMU executed.
     *
     * @param d0 the command's first doubleword
     * @param d1 the command's second doubleword
     * @param ril whether the SMMU advertises range invalidation (IDR3.RIL)
     * @param entriesDropped the TLB and walk-cache entries the command invalidated
     */
    public static void tlbInvalidation(long d0, long d1, boolean ril, long entriesDropped) {
        SmmuTlbInvalidationEvent event = new SmmuTlbInvalidationEvent();
        if (!event.shouldCommit()) {
            return;
        }
        int op = (int) Fields.get(OP, d0);
        boolean byVa = op == OP_TLBI_NH_VA || op == OP_TLBI_NH_VAA;
        event.opcode = opcodeName(op);
        event.asid = op == OP_TLBI_NH_VA || op == OP_TLBI_NH_ASID
                ? (int) Fields.get(TLBI_0_ASID, d0) : -1;
        event.iova = byVa ? d1 & TLBI_1_VA : 0;
        event.num = (int) Fields.get(TLBI_0_NUM, d0);
        event.scale = (int) Fields.get(TLBI_0_SCALE, d0);
        event.tg = (int) Fields.get(TLBI_1_TG, d1);
        event.ttl = (int) Fields.get(TLBI_1_TTL, d1);
        event.leaf = Fields.test(TLBI_1_LEAF, d1);
        event.range = byVa && ril && event.tg != 0;
        event.size = event.range
                ? ((event.num + 1L) << event.scale) << (TG_BASE_SHIFT + 2 * event.tg) : 0;
        event.entriesDropped = entriesDropped;
        event.commit();
    }

    /**
     * Emits {@code org.dmalib.SmmuSync} for a CMD_SYNC the SMMU completed.
     *
     * @param d0 the command's first doubleword (CS)
     * @param commands commands consumed since the previous CMD_SYNC
     */
    public static void sync(long d0, long commands) {
        SmmuSyncEvent event = new SmmuSyncEvent();
        if (!event.shouldCommit()) {
            return;
        }
        int cs = (int) Fields.get(SYNC_0_CS, d0);
        event.signal = cs == SYNC_CS_IRQ ? "IRQ" : cs == SYNC_CS_SEV ? "SEV" : "NONE";
        event.commands = commands;
        event.commit();
    }

    /**
     * Emits {@code org.dmalib.SmmuIotlbMisses} for one sync window.
     *
     * @param translations translations in the window
     * @param microTlbMisses micro-TLB misses
     * @param mainTlbMisses main TLB misses
     * @param walks table walks
     * @param walkCacheMisses walks that found nothing in the walk cache
     * @param pteReads descriptors read
     */
    public static void iotlbMisses(long translations, long microTlbMisses, long mainTlbMisses,
            long walks, long walkCacheMisses, long pteReads) {
        SmmuIotlbMissesEvent event = new SmmuIotlbMissesEvent();
        if (!event.shouldCommit()) {
            return;
        }
        event.translations = translations;
        event.microTlbMisses = microTlbMisses;
        event.mainTlbMisses = mainTlbMisses;
        event.walks = walks;
        event.walkCacheMisses = walkCacheMisses;
        event.pteReads = pteReads;
        event.commit();
    }

    /**
     * Emits {@code org.dmalib.SmmuFault} for an event the SMMU raised.
     *
     * @param kind the event type
     * @param streamId the stream ID of the access
     * @param address the input address (0 for configuration events)
     * @param write whether the access wrote
     * @param privileged whether the access was privileged
     * @param recorded whether the record reached the event queue
     */
    public static void fault(SmmuEvent.Kind kind, int streamId, long address, boolean write,
            boolean privileged, boolean recorded) {
        SmmuFaultEvent event = new SmmuFaultEvent();
        if (!event.shouldCommit()) {
            return;
        }
        event.device = streamId;
        event.iova = address;
        event.kind = kind.name();
        event.eventId = kind.id();
        event.access = write ? "write" : "read";
        event.privileged = privileged;
        event.recorded = recorded;
        event.commit();
    }

    private static String opcodeName(int op) {
        return switch (op) {
            case OP_TLBI_NH_ALL -> "CMD_TLBI_NH_ALL";
            case OP_TLBI_NH_ASID -> "CMD_TLBI_NH_ASID";
            case OP_TLBI_NH_VA -> "CMD_TLBI_NH_VA";
            case OP_TLBI_NH_VAA -> "CMD_TLBI_NH_VAA";
            case OP_TLBI_NSNH_ALL -> "CMD_TLBI_NSNH_ALL";
            default -> String.format("0x%02x", op);
        };
    }
}

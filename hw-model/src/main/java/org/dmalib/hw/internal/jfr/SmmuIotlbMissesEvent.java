package org.dmalib.hw.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The translation-cache misses of one sync window: counted by the SMMU's existing counters on
 * every access, reported as differences when a CMD_SYNC completes. Nothing is added to the
 * per-access path; windows without translations report nothing.
 */
@Name("org.dmalib.SmmuIotlbMisses")
@Label("SMMU IOTLB Misses")
@Category({"dmalib", "SMMUv3 hardware"})
@Description("Translations and translation-cache misses of one SMMU since its previous CMD_SYNC")
@StackTrace(false)
final class SmmuIotlbMissesEvent extends jdk.jfr.Event {
    @Label("Translations")
    @Description("Translations of device accesses (per 4 KiB piece) in the window")
    long translations;

    @Label("Micro-TLB Misses")
    long microTlbMisses;

    @Label("Main TLB Misses")
    @Description("Lookups that missed the main TLB: the IOTLB misses, each followed by a walk")
    long mainTlbMisses;

    @Label("Walks")
    long walks;

    @Label("Walk-Cache Misses")
    @Description("Walks that started at the first level")
    long walkCacheMisses;

    @Label("Descriptor Reads")
    @Description("Translation table descriptors read from memory by the walks")
    long pteReads;
}

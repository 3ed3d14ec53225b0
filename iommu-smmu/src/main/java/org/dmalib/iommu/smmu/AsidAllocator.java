package org.dmalib.iommu.smmu;

import java.util.BitSet;

/**
 * The SMMU's ASID space ({@code arm_smmu_asid_xa}): ASIDs 1 to {@code 2^bits - 1}; 0 stays
 * reserved as in Linux ({@code xa_alloc(..., XA_LIMIT(1, (1 << smmu->asid_bits) - 1))}).
 *
 * <p>Thread-safety: safe for concurrent use (synchronised).
 */
final class AsidAllocator {
    private final int limit;
    private final BitSet used = new BitSet();

    AsidAllocator(int bits) {
        this.limit = 1 << bits;
    }

    synchronized int allocate() {
        int asid = used.nextClearBit(1);
        if (asid >= limit) {
            throw new AsidExhaustedException(
                    "all " + (limit - 1) + " ASIDs (1 to 0x" + Integer.toHexString(limit - 1)
                            + ") are in use");
        }
        used.set(asid);
        return asid;
    }

    synchronized void release(int asid) {
        if (asid <= 0 || asid >= limit || !used.get(asid)) {
            throw new IllegalStateException("asid=" + asid + " is not allocated");
        }
        used.clear(asid);
    }
}

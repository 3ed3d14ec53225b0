package org.dmalib.hw;

import java.util.Objects;

/**
 * What SMMU to build: the features its ID registers advertise and the shape of its translation
 * caches.
 *
 * <p>The features are the ones a driver probes (Linux {@code arm_smmu_device_hw_probe}) in
 * the SMMU's ID registers. Immutable, so safe for concurrent use.
 *
 * @param rangeInvalidation SMMU_IDR3.RIL: {@code TLBI_NH_VA} honours the range fields NUM,
 *     SCALE, TG and TTL (SMMUv3.2); without it those fields are ignored
 * @param coherentWalk SMMU_IDR0.COHACC: table walks, STE/CD fetches and queue accesses may be
 *     cacheable and then snoop CPU caches; without it the SMMU reads and writes RAM only
 * @param granule4K SMMU_IDR5.GRAN4K: 4 KiB translation granule supported
 * @param granule16K SMMU_IDR5.GRAN16K: 16 KiB translation granule supported
 * @param granule64K SMMU_IDR5.GRAN64K: 64 KiB translation granule supported (at least one of
 *     the three granules must be)
 * @param outputAddressBits SMMU_IDR5.OAS in bits: one of 32, 36, 40, 42, 44, 48
 * @param asidBits 8 or 16 (SMMU_IDR0.ASID16)
 * @param streamIdBits SMMU_IDR1.SIDSIZE: 0 to 16 (the stream table is linear)
 * @param commandQueueLog2 SMMU_IDR1.CMDQS: log2 of the largest command queue, 1 to 19
 * @param eventQueueLog2 SMMU_IDR1.EVENTQS: log2 of the largest event queue, 1 to 19
 * @param iotlb the translation caches
 */
public record SmmuConfig(
        boolean rangeInvalidation,
        boolean coherentWalk,
        boolean granule4K,
        boolean granule16K,
        boolean granule64K,
        int outputAddressBits,
        int asidBits,
        int streamIdBits,
        int commandQueueLog2,
        int eventQueueLog2,
        IotlbGeometry iotlb) {

    // QEMU SMMU_CMDQS = SMMU_EVENTQS = 19 (hw/arm/smmuv3-internal.h)
    private static final int QEMU_QUEUE_LOG2 = 19;
    // 256 streams: a linear stream table of 16 KiB; raise for more devices
    private static final int DEFAULT_SID_BITS = 8;

    /**
     * Validates the configuration.
     *
     * @param rangeInvalidation whether range invalidation is advertised (SMMU_IDR3.RIL)
     * @param coherentWalk whether coherent table walks are advertised (SMMU_IDR0.COHACC)
     * @param granule4K whether the 4 KiB granule is supported (at least one of the three must be)
     * @param granule16K whether the 16 KiB granule is supported
     * @param granule64K whether the 64 KiB granule is supported
     * @param outputAddressBits output address size in bits: one of 32, 36, 40, 42, 44, 48
     * @param asidBits ASID width in bits: 8 or 16
     * @param streamIdBits stream ID width in bits: 0 to 16
     * @param commandQueueLog2 log2 of the largest command queue: 1 to 19
     * @param eventQueueLog2 log2 of the largest event queue: 1 to 19
     * @param iotlb the translation caches, not null
     * @throws IllegalArgumentException naming the bad value
     * @throws NullPointerException if {@code iotlb} is null
     */
    public SmmuConfig {
        Objects.requireNonNull(iotlb, "iotlb");
        if (!granule4K && !granule16K && !granule64K) {
            throw new IllegalArgumentException("at least one granule must be supported");
        }
        switch (outputAddressBits) {
            case 32, 36, 40, 42, 44, 48 -> { }
            default -> throw new IllegalArgumentException("outputAddressBits=" + outputAddressBits
                    + " must be one of 32, 36, 40, 42, 44, 48 (SMMU_IDR5.OAS)");
        }
        if (asidBits != 8 && asidBits != 16) {
            throw new IllegalArgumentException("asidBits=" + asidBits + " must be 8 or 16");
        }
        if (streamIdBits < 0 || streamIdBits > 16) {
            throw new IllegalArgumentException(
                    "streamIdBits=" + streamIdBits + " must be from 0 to 16");
        }
        if (commandQueueLog2 < 1 || commandQueueLog2 > QEMU_QUEUE_LOG2) {
            throw new IllegalArgumentException(
                    "commandQueueLog2=" + commandQueueLog2 + " must be from 1 to 19");
        }
        if (eventQueueLog2 < 1 || eventQueueLog2 > QEMU_QUEUE_LOG2) {
            throw new IllegalArgumentException(
                    "eventQueueLog2=" + eventQueueLog2 + " must be from 1 to 19");
        }
    }

    /**
     * The default SMMU: an SMMUv3.2 with range invalidation and coherent table walks, all three
     * granules, 48-bit output addresses, 16-bit ASIDs, 256 stream IDs, QEMU's queue limits (2^19
     * entries) and gem5's cache geometry ({@link IotlbGeometry#GEM5}).
     *
     * @return the configuration
     */
    public static SmmuConfig gem5() {
        return new SmmuConfig(true, true, true, true, true, 48, 16, DEFAULT_SID_BITS,
                QEMU_QUEUE_LOG2, QEMU_QUEUE_LOG2, IotlbGeometry.GEM5);
    }

    /**
     * Like {@link #gem5()} but with no translation caching: every access walks. For comparison
     * with a caching SMMU (and like OpenVMM's cache-less model).
     *
     * @return the configuration
     */
    public static SmmuConfig noCache() {
        return gem5().withIotlb(IotlbGeometry.NONE);
    }

    /**
     * Returns this configuration with SMMU_IDR3.RIL set to {@code enabled}.
     *
     * @param enabled whether range invalidation is advertised
     * @return the new configuration
     */
    public SmmuConfig withRangeInvalidation(boolean enabled) {
        return new SmmuConfig(enabled, coherentWalk, granule4K, granule16K, granule64K,
                outputAddressBits, asidBits, streamIdBits, commandQueueLog2, eventQueueLog2, iotlb);
    }

    /**
     * Returns this configuration with SMMU_IDR0.COHACC set to {@code enabled}.
     *
     * @param enabled whether the SMMU's table walks and queue accesses can be coherent
     * @return the new configuration
     */
    public SmmuConfig withCoherentWalk(boolean enabled) {
        return new SmmuConfig(rangeInvalidation, enabled, granule4K, granule16K, granule64K,
                outputAddressBits, asidBits, streamIdBits, commandQueueLog2, eventQueueLog2, iotlb);
    }

    /**
     * Returns this configuration with other translation caches.
     *
     * @param geometry the caches
     * @return the new configuration
     * @throws NullPointerException if {@code geometry} is null
     */
    public SmmuConfig withIotlb(IotlbGeometry geometry) {
        return new SmmuConfig(rangeInvalidation, coherentWalk, granule4K, granule16K, granule64K,
                outputAddressBits, asidBits, streamIdBits, commandQueueLog2, eventQueueLog2,
                geometry);
    }

    /**
     * Returns this configuration with SMMU_IDR1.SIDSIZE set to {@code bits}.
     *
     * @param bits stream ID bits, 0 to 16
     * @return the new configuration
     * @throws IllegalArgumentException if {@code bits} is out of range
     */
    public SmmuConfig withStreamIdBits(int bits) {
        return new SmmuConfig(rangeInvalidation, coherentWalk, granule4K, granule16K, granule64K,
                outputAddressBits, asidBits, bits, commandQueueLog2, eventQueueLog2, iotlb);
    }
}

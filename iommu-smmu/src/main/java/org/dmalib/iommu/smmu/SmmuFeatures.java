package org.dmalib.iommu.smmu;

import org.dmalib.iommu.api.PageSizes;

/**
 * What the driver read from the SMMU's ID registers at probe ({@code arm_smmu_device_hw_probe}),
 * and the queue and table sizes it chose from them.
 *
 * <p>Immutable, so safe for concurrent use.
 *
 * @param rangeInvalidation IDR3.RIL: range TLBI (SMMUv3.2)
 * @param coherentWalk IDR0.COHACC: table walks snoop CPU caches; page tables need no cleaning
 * @param granules IDR5.GRAN4K/16K/64K: the translation granules supported
 * @param outputAddressBits IDR5.OAS in bits
 * @param asidBits 16 with IDR0.ASID16, else 8
 * @param streamIdBits IDR1.SIDSIZE
 * @param streamTableLog2 log2 of the STEs the driver's linear stream table holds
 * @param commandQueueLog2 log2 of the driver's command queue entries
 * @param eventQueueLog2 log2 of the driver's event queue entries
 */
public record SmmuFeatures(
        boolean rangeInvalidation,
        boolean coherentWalk,
        PageSizes granules,
        int outputAddressBits,
        int asidBits,
        int streamIdBits,
        int streamTableLog2,
        int commandQueueLog2,
        int eventQueueLog2) {}

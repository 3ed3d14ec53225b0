/**
 * The SMMUv3 device model: registers, configuration cache, IOTLB (micro-TLB, main TLB, walk
 * cache), stage-1 walker, command and event queues. Not exported: {@code org.dmalib.hw.Smmu} is
 * its public face and {@code org.dmalib.hw.smmu} its programming interface.
 */
package org.dmalib.hw.internal.smmu;

/**
 * JDK Flight Recorder events of the SMMUv3 hardware model: TLB invalidation commands and
 * CMD_SYNCs as the SMMU executes them, IOTLB-miss counts per sync window, and the events
 * (faults) it raises.
 *
 * <p>Not exported: the events are read by name ({@code org.dmalib.Smmu*}) from recordings, never
 * by type. JFR makes the package accessible to {@code jdk.jfr} itself when it registers an event
 * class, so the module needs no {@code exports} or {@code opens} for it.
 */
package org.dmalib.hw.internal.jfr;

/**
 * JDK Flight Recorder events of the SMMUv3 driver: each domain invalidation with its strategy and
 * plan, and each command-queue submission with its batches, both timed.
 *
 * <p>Not exported: the events are read by name ({@code org.dmalib.Smmu*}) from recordings, never
 * by type. JFR makes the package accessible to {@code jdk.jfr} itself when it registers an event
 * class, so the module needs no {@code exports} or {@code opens} for it.
 */
package org.dmalib.iommu.smmu.internal.jfr;

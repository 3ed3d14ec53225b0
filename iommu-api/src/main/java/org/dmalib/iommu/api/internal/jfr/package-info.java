/**
 * JDK Flight Recorder events of the IOMMU core: {@code map} and {@code unmap} of a domain, with
 * their durations.
 *
 * <p>Not exported: the events are read by name ({@code org.dmalib.Map}, {@code org.dmalib.Unmap})
 * from recordings, never by type. JFR makes the package accessible to {@code jdk.jfr} itself when
 * it registers an event class, so the module needs no {@code exports} or {@code opens} for it.
 */
package org.dmalib.iommu.api.internal.jfr;

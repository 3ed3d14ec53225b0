/**
 * The DMA API's JDK Flight Recorder events. Not exported: JFR reads event classes itself, and
 * the fields are plain values so that the events depend on nothing of the API package.
 */
package org.dmalib.dma.ops.internal.jfr;

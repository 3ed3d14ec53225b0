/** The driver-facing DMA API. */
package org.dmalib.dma.ops;

/**
 * Third-party-style example drivers and device models that use only dmalib's public API: a DMA
 * copy engine ({@link org.dmalib.examples.CopyEngine}), its driver ({@link
 * org.dmalib.examples.CopyEngineDriver}) and a one-call scenario for the CLI ({@link
 * org.dmalib.examples.CopyEngineScenario}).
 */
package org.dmalib.examples;

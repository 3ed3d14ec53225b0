/**
 * The machine's implementation: the coherence fabric joining CPU caches, memory and coherent DMA
 * masters, the CPU cores, DMA ports and counters. Not exported: {@code org.dmalib.hw} is the
 * public face and {@code org.dmalib.hw.cache} the privileged one.
 */
package org.dmalib.hw.internal;

package org.dmalib.dma.ops;

/** What a device's registry of live mappings holds: something it can describe in a report. */
sealed interface Tracked permits DmaMapping, CoherentBuffer {
    /** Returns the mapping as the leak report lists it. */
    PendingMapping describe();
}

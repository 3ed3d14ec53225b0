package org.dmalib.dma.ops;

import org.dmalib.arch.coherency.internal.cache.DcacheMaintenance;
import org.dmalib.hw.Cpu;

/**
 * A deliberately rogue class in the exported DMA API package (planted by architecture-tests on
 * the class path) that issues cache maintenance itself instead of delegating to an internal
 * package. Never run, only imported by ArchUnit.
 */
public final class RogueApiShortcut {
    private RogueApiShortcut() {}

    /**
     * Cleans to PoC from the API package.
     *
     * @param cpu the issuing CPU
     */
    public static void syncForDevice(Cpu cpu) {
        DcacheMaintenance.on(cpu).cleanPoc(0, 64);
    }
}

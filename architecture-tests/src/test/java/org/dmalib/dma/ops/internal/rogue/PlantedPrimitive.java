package org.dmalib.dma.ops.internal.rogue;

/**
 * Stands in for a dma-ops internal class (dma-ops has none yet) so that the rule guarding
 * {@code org.dmalib.dma.ops.internal..} can be shown to fail on {@code org.dmalib.rogue.RogueDriver}.
 * A test class of architecture-tests, on the class path only.
 */
public final class PlantedPrimitive {
    private PlantedPrimitive() {}

    /** Does nothing; exists to be depended on. */
    public static void touch() {}
}

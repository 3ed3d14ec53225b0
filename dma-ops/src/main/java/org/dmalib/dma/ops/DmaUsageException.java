package org.dmalib.dma.ops;

/**
 * A driver called the DMA API wrongly: a null or out-of-range argument, direction NONE, a
 * second unmap, an unmap whose size or direction differs from the mapping, a sync outside the
 * mapping, a call on a detached device (the misuse checks of Linux's DMA-API debugging,
 * {@code kernel/dma/debug.c}, made strict). The message names the bad value as
 * {@code name=value}.
 *
 * <p>Nothing was changed: nothing mapped or unmapped, no slot or page taken or freed, no cache
 * maintenance done.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public sealed class DmaUsageException extends IllegalArgumentException permits DmaDebugException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, naming the value
     */
    public DmaUsageException(String message) {
        super(message);
    }
}

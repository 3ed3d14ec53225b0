package org.dmalib.dma.ops;

/** A DMA mapping could not be made; nothing was mapped. */
public class DmaMappingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed, naming the values
     */
    public DmaMappingException(String message) {
        super(message);
    }
}

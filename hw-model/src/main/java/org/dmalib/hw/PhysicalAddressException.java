package org.dmalib.hw;

/**
 * A physical access fell outside the machine's memory, or was misaligned where alignment is
 * required. The message names the offending address; for an access outside memory, also its
 * length and the memory size (a misaligned one has the length of the word, {@link #length}).
 *
 * <p>Nothing was read or written when this is thrown.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class PhysicalAddressException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long paddr;
    private final long length;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, naming the values
     * @param paddr the first physical address of the access
     * @param length the length of the access in bytes
     */
    public PhysicalAddressException(String message, long paddr, long length) {
        super(message);
        this.paddr = paddr;
        this.length = length;
    }

    /** {@return the first physical address of the refused access} */
    public long paddr() {
        return paddr;
    }

    /** {@return the length in bytes of the refused access} */
    public long length() {
        return length;
    }
}

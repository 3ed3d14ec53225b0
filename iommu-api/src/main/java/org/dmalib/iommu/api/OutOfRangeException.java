package org.dmalib.iommu.api;

/**
 * An address range is negative, wraps, or leaves the domain's aperture (or a driver's input or
 * output address size: -ERANGE). Nothing was changed.
 *
 * <p>Thread-safety: the fields it declares are final and set when it is built; safe to hand to
 * another thread once thrown.
 */
public final class OutOfRangeException extends IommuException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the operation and the values, as {@code name=0x…}
     */
    public OutOfRangeException(String message) {
        super(message);
    }

    /**
     * Returns the exception for {@code [iova, iova + size)} outside the aperture
     * {@code [apertureStart, apertureEnd]}.
     *
     * @param iova the first device address
     * @param size the size in bytes
     * @param apertureStart the first address of the aperture
     * @param apertureEnd the last address of the aperture (inclusive)
     * @return the exception, naming the four values
     */
    public static OutOfRangeException outsideAperture(
            long iova, long size, long apertureStart, long apertureEnd) {
        return new OutOfRangeException(String.format(
                "outside the aperture: iova=0x%x size=0x%x apertureStart=0x%x apertureEnd=0x%x",
                iova, size, apertureStart, apertureEnd));
    }
}

package org.dmalib.iommu.api;

import com.google.errorprone.annotations.CheckReturnValue;
import com.google.errorprone.annotations.Immutable;
import java.util.StringJoiner;

/**
 * The protection of a mapping: a set of Linux's {@code IOMMU_*} flags. Combine the constants
 * with {@link #with}. A map needs at least {@link #READ} or {@link #WRITE}.
 *
 * <p>Immutable and thread-safe; equal sets are equal values.
 */
@Immutable
@CheckReturnValue
public final class IommuProt {
    // The bit values are Linux's (include/linux/iommu.h), so bits() can be shown next to a trace.
    private static final int READ_BIT = 1 << 0;
    private static final int WRITE_BIT = 1 << 1;
    private static final int CACHE_BIT = 1 << 2;
    private static final int NOEXEC_BIT = 1 << 3;
    private static final int MMIO_BIT = 1 << 4;
    private static final int PRIV_BIT = 1 << 5;
    private static final int ALL_BITS = (1 << 6) - 1; // the six flags above

    private static final String[] NAMES = {"READ", "WRITE", "CACHE", "NOEXEC", "MMIO", "PRIV"};

    /** No access at all: valid as a value, refused by a map. */
    public static final IommuProt NONE = new IommuProt(0);
    /** The device may read ({@code IOMMU_READ}). */
    public static final IommuProt READ = new IommuProt(READ_BIT);
    /** The device may write ({@code IOMMU_WRITE}). */
    public static final IommuProt WRITE = new IommuProt(WRITE_BIT);
    /** READ and WRITE. */
    public static final IommuProt READ_WRITE = new IommuProt(READ_BIT | WRITE_BIT);
    /** Cacheable, coherent access ({@code IOMMU_CACHE}). */
    public static final IommuProt CACHE = new IommuProt(CACHE_BIT);
    /** The device may not execute from the mapping ({@code IOMMU_NOEXEC}). */
    public static final IommuProt NOEXEC = new IommuProt(NOEXEC_BIT);
    /** Device memory, e.g. an MSI doorbell ({@code IOMMU_MMIO}). */
    public static final IommuProt MMIO = new IommuProt(MMIO_BIT);
    /** Privileged access only ({@code IOMMU_PRIV}). */
    public static final IommuProt PRIV = new IommuProt(PRIV_BIT);

    private final int bits;

    private IommuProt(int bits) {
        this.bits = bits;
    }

    /**
     * Returns the protection with Linux's flag bits.
     *
     * @param bits a combination of {@code IOMMU_READ} (1), {@code IOMMU_WRITE} (2),
     *     {@code IOMMU_CACHE} (4), {@code IOMMU_NOEXEC} (8), {@code IOMMU_MMIO} (0x10) and
     *     {@code IOMMU_PRIV} (0x20)
     * @return the protection
     * @throws IllegalArgumentException naming {@code bits} if another bit is set
     */
    public static IommuProt ofBits(int bits) {
        if ((bits & ~ALL_BITS) != 0) {
            throw new IllegalArgumentException(String.format("prot bits=0x%x: unknown flag", bits));
        }
        return new IommuProt(bits);
    }

    /** {@return Linux's flag bits of this protection} */
    public int bits() {
        return bits;
    }

    /**
     * Returns this protection with the flags of {@code other} added.
     *
     * @param other the flags to add
     * @return the union
     */
    public IommuProt with(IommuProt other) {
        return new IommuProt(bits | other.bits);
    }

    /**
     * Returns whether every flag of {@code other} is in this protection.
     *
     * @param other the flags to look for
     * @return true if all are present
     */
    public boolean has(IommuProt other) {
        return (bits & other.bits) == other.bits;
    }

    /** {@return whether the device may read} */
    public boolean read() {
        return (bits & READ_BIT) != 0;
    }

    /** {@return whether the device may write} */
    public boolean write() {
        return (bits & WRITE_BIT) != 0;
    }

    /** {@return whether a map with this protection is accepted: READ or WRITE is set} */
    public boolean isValidForMap() {
        return (bits & (READ_BIT | WRITE_BIT)) != 0;
    }

    /**
     * Returns the protection a DMA mapping in {@code direction} gets ({@code dma_info_to_prot}):
     * read for TO_DEVICE, write for FROM_DEVICE, both for BIDIRECTIONAL, plus CACHE when the
     * device is coherent.
     *
     * @param direction a direction valid for mapping
     * @param coherent whether the device snoops the CPU caches
     * @return the protection
     * @throws IllegalArgumentException if {@code direction} is NONE
     */
    public static IommuProt forDma(DmaDirection direction, boolean coherent) {
        if (!direction.isValidForMapping()) {
            throw new IllegalArgumentException("direction=" + direction + " cannot be mapped");
        }
        int b = (direction.deviceReads() ? READ_BIT : 0) | (direction.deviceWrites() ? WRITE_BIT : 0);
        return new IommuProt(coherent ? b | CACHE_BIT : b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IommuProt other && bits == other.bits;
    }

    @Override
    public int hashCode() {
        return bits;
    }

    @Override
    public String toString() {
        if (bits == 0) {
            return "NONE";
        }
        StringJoiner j = new StringJoiner("|");
        for (int i = 0; i < NAMES.length; i++) {
            if ((bits & (1 << i)) != 0) {
                j.add(NAMES[i]);
            }
        }
        return j.toString();
    }
}

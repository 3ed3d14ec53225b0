package org.dmalib.iommu.api.spi;

import com.google.errorprone.annotations.CheckReturnValue;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.PageSizes;

/**
 * Creates IOMMU-core domains over a driver's {@link IommuDomainOps} ({@code iommu_domain_alloc}
 * from the driver's side). The driver keeps the returned domain's strategy for its own
 * {@code iotlbSync}; the core only reports it.
 *
 * <p>Stateless and thread-safe.
 */
@CheckReturnValue
public final class IommuDomains {
    // 63 address bits: the aperture end 2^63 - 1 is the largest positive long
    private static final int MAX_INPUT_ADDRESS_BITS = 63;

    private IommuDomains() {}

    /**
     * Returns a domain whose map, unmap and translation go through {@code ops}.
     *
     * @param ops the driver's operations for this domain's page table
     * @param pageSizes the page sizes the page table supports
     * @param type what the domain is for
     * @param strategy how the driver plans invalidations for this domain
     * @param inputAddressBits the domain's input address size (IAS): the aperture is
     *     {@code [0, 2^inputAddressBits - 1]}; at most 63, and {@code 2^inputAddressBits} at least
     *     the smallest page size
     * @return the domain
     * @throws IllegalArgumentException naming {@code inputAddressBits} if out of range
     * @throws NullPointerException if an argument is null
     */
    public static GatheringDomain create(IommuDomainOps ops, PageSizes pageSizes,
            DomainType type, InvalidationStrategy strategy, int inputAddressBits) {
        int minBits = Long.numberOfTrailingZeros(pageSizes.minPageSize());
        if (inputAddressBits < minBits || inputAddressBits > MAX_INPUT_ADDRESS_BITS) {
            throw new IllegalArgumentException("inputAddressBits=" + inputAddressBits
                    + " must be " + minBits + " to " + MAX_INPUT_ADDRESS_BITS);
        }
        long apertureEnd = inputAddressBits == MAX_INPUT_ADDRESS_BITS
                ? Long.MAX_VALUE
                : (1L << inputAddressBits) - 1;
        return new CoreDomain(ops, pageSizes, type, strategy, apertureEnd);
    }
}

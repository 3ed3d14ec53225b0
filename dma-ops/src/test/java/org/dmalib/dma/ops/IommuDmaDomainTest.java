package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.dmalib.hw.Coherency;
import org.junit.jupiter.api.Test;

/** An {@link IommuDmaDomain} answers with the IOMMU domain it wraps and that domain's granule. */
class IommuDmaDomainTest {
    @Test
    void itNamesItsIommuDomainAndGranule() {
        IommuRig r = new IommuRig(Coherency.COHERENT);
        assertSame(r.domain, r.dmaDomain.domain());
        assertEquals(4096, r.dmaDomain.granule());
        assertEquals("IommuDmaDomain[" + r.domain + "]", r.dmaDomain.toString());
    }
}

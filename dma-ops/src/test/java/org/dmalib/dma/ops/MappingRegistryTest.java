package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;

/** The registry's entries at one DMA address: one, several, and the address emptied and reused. */
class MappingRegistryTest {
    // the same buffer mapped several times on purpose: no debug checks
    private final Rig r = new Rig(Coherency.COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.OFF);
    private final CpuBuffer buf = r.memory.allocate(8192);

    @Test
    void entries_at_one_address_are_found_removed_and_the_address_reused() {
        DmaMapping a = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        DmaMapping b = r.dev.mapSingle(r.cpu, buf.paddr(), 4096, DmaDirection.FROM_DEVICE);
        DmaMapping c = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment()), DmaDirection.TO_DEVICE);
        assertEquals(a.dmaAddress(), b.dmaAddress());
        assertEquals(a.dmaAddress(), c.dmaAddress());
        MappingRegistry reg = new MappingRegistry();
        assertTrue(reg.isEmpty());
        reg.add(a);
        assertFalse(reg.isEmpty());
        assertEquals(List.of(a), reg.at(a.dmaAddress()));
        reg.add(b);
        reg.add(c);
        assertEquals(List.of(a, b, c), reg.at(a.dmaAddress()), "oldest first");
        assertSame(b, reg.bestFit(a.dmaAddress(), 4096, MappingKind.SINGLE, DmaDirection.FROM_DEVICE, 1));
        assertSame(b, reg.bestFit(a.dmaAddress(), -1, MappingKind.SINGLE, DmaDirection.FROM_DEVICE, 1),
                "a negative size agrees with any: the one agreeing on the rest wins among several");
        assertSame(c, reg.containing(a.dmaAddress() + 100), "the newest holding it");
        reg.remove(b);
        assertEquals(List.of(a, c), reg.at(a.dmaAddress()));
        reg.remove(b); // not registered any more: nothing changes
        assertEquals(List.of(a, c), reg.at(a.dmaAddress()));
        reg.remove(c);
        assertEquals(List.of(a), reg.at(a.dmaAddress()));
        assertSame(a, reg.bestFit(a.dmaAddress(), -1, MappingKind.SCATTER_GATHER, DmaDirection.NONE, 7),
                "the only entry there, whatever disagrees");
        reg.remove(a);
        assertEquals(List.of(), reg.at(a.dmaAddress()));
        assertTrue(reg.isEmpty());
        assertEquals(null, reg.containing(a.dmaAddress()));
        reg.add(c);
        reg.add(a);
        assertEquals(List.of(c, a), reg.at(a.dmaAddress()), "the emptied address is used again");
        reg.remove(c);
        reg.remove(a);
        assertTrue(reg.isEmpty());
        assertFalse(reg.all().contains(a));
        a.unmap(r.cpu);
        b.unmap(r.cpu);
        c.unmap(r.cpu);
        assertEquals(List.of(), r.dev.pendingMappings());
    }

    @Test
    void aListMappedBelowItsFirstAddressIsFoundThereUntilRemoved() {
        // the direct path keeps the list's order: the second segment lies below the first
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(4096, 4096), buf.segment(0, 4096)),
                DmaDirection.TO_DEVICE);
        assertEquals(buf.paddr() + 4096, m.dmaAddress());
        MappingRegistry reg = new MappingRegistry();
        reg.add(m);
        assertSame(m, reg.containing(buf.paddr() + 10), "held by its lower segment");
        reg.remove(m);
        assertEquals(null, reg.containing(buf.paddr() + 10));
        assertEquals(null, reg.containing(buf.paddr() + 4096 + 10));
        m.unmap(r.cpu);
    }
}

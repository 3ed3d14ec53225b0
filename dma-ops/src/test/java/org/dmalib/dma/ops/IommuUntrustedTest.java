package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaStatus;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Untrusted devices over an SMMUv3 domain: bounce with zeroed padding (reference §2.10). */
class IommuUntrustedTest {
    private static final byte SECRET = (byte) 0xAA;
    private static final byte STALE = (byte) 0x77;

    private static IommuRig untrusted(Coherency coherency) {
        IommuRig r = new IommuRig(coherency, p -> p.withUntrusted(true).withFlushMode(FlushMode.LAZY));
        // stale "kernel data" everywhere in the bounce pool
        r.machine.memory().fill(r.memory.bouncePoolBase(), r.memory.bouncePoolSize(), STALE);
        return r;
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void theDeviceSeesOnlyTheBufferAndZerosInItsGranule(Coherency coherency) {
        IommuRig r = untrusted(coherency);
        CpuBuffer page = r.memory.allocate(4096);
        page.fill(r.cpu, SECRET);
        byte[] data = Rig.pattern(0x300, 1);
        page.write(r.cpu, 0x100, data);
        DmaMapping m = r.dev.mapSingle(r.cpu, page.paddr() + 0x100, 0x300, DmaDirection.TO_DEVICE);
        assertTrue(m.isBounced());
        // swiotlb_align_offset: with no min_align_mask the bounce buffer starts its granule
        assertEquals(0, m.dmaAddress() & 0xFFF, "no offset kept without a min_align_mask");
        byte[] granule = r.deviceRead(m.dmaAddress() & -4096L, 4096);
        byte[] want = new byte[4096];
        System.arraycopy(data, 0, want, 0, data.length);
        assertArrayEquals(want, granule, "zeros around the buffer, never secret or stale bytes");
        assertEquals(DmaStatus.ABORT, r.tryRead((m.dmaAddress() & -4096L) + 4096));
        int slots = r.memory.bounceSlotsInUse();
        assertTrue(slots > 0);
        m.unmap(r.cpu);
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void fromDeviceCopiesOnlyTheBufferBack() {
        IommuRig r = untrusted(Coherency.NON_COHERENT);
        CpuBuffer page = r.memory.allocate(4096);
        page.fill(r.cpu, SECRET);
        DmaMapping m = r.dev.mapSingle(r.cpu, page.paddr() + 0x40, 0x80, DmaDirection.FROM_DEVICE);
        byte[] written = Rig.pattern(0x80, 2);
        r.deviceWrite(m.dmaAddress(), written);
        m.unmap(r.cpu);
        byte[] all = page.read(r.cpu, 0, 4096);
        assertArrayEquals(written, Arrays.copyOfRange(all, 0x40, 0xC0));
        for (int i = 0; i < 4096; i++) {
            if (i < 0x40 || i >= 0xC0) {
                assertEquals(SECRET, all[i], "byte " + i + " outside the buffer changed");
            }
        }
    }

    @Test
    void wholeGranulesAreNotBounced() {
        IommuRig r = untrusted(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(8192);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        assertFalse(m.isBounced());
        assertEquals(buf.paddr(), r.domain.iovaToPhys(m.dmaAddress()).orElseThrow());
        m.unmap(r.cpu);
    }

    @Test
    void anUntrustedDeviceIsStrictEvenWhenAskedForLazy() {
        IommuRig r = untrusted(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(4096);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        assertEquals(DmaStatus.OK, r.tryRead(m.dmaAddress()));
        SmmuDriverCounters before = r.driverCounters();
        m.unmap(r.cpu);
        assertEquals(1, r.driverCounters().minus(before).cmdSyncs());
        assertEquals(DmaStatus.ABORT, r.tryRead(m.dmaAddress()));
        assertEquals(0, r.dmaDomain.flushQueuePending());
    }

    @Test
    void aListIsMappedSegmentBySegmentUnmerged() {
        IommuRig r = untrusted(Coherency.NON_COHERENT);
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(4096);
        byte[] da = Rig.pattern(0x200, 3);
        a.write(r.cpu, 0xE00, da);
        b.fill(r.cpu, (byte) 5);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(a.segment(0xE00, 0x200), b.segment()),
                DmaDirection.TO_DEVICE);
        assertEquals(2, m.dmaCount(), "count = nents");
        assertArrayEquals(da, r.deviceRead(m.dmaSegments().get(0).dmaAddress(), 0x200));
        // bounced to the start of its granule (no min_align_mask), zeros after it
        assertEquals(0, m.dmaSegments().get(0).dmaAddress() & 0xFFF);
        assertArrayEquals(new byte[0xE00], r.deviceRead(m.dmaSegments().get(0).dmaAddress() + 0x200, 0xE00));
        assertEquals(b.paddr(), r.domain.iovaToPhys(m.dmaSegments().get(1).dmaAddress()).orElseThrow(),
                "the whole page is not bounced");
        m.unmap(r.cpu);
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void aShortUnmapNamesItsFirstShortRangeAndFreesEveryIovaAllTheSame() {
        IommuRig r = new IommuRig(Coherency.COHERENT, p -> p.withUntrusted(true));
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocateAbove(a.end() + 4096, 4096);
        // untrusted: one IOVA range per segment
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(a.segment(), b.segment()), DmaDirection.TO_DEVICE);
        long first = m.dmaSegments().get(0).dmaAddress();
        long second = m.dmaSegments().get(1).dmaAddress();
        // a page-table bug: both ranges' entries gone behind dma-iommu's back
        r.domain.unmap(first, 4096);
        r.domain.unmap(second, 4096);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.unmap(r.cpu));
        assertTrue(e.getMessage().contains(String.format("unmap of iova=0x%x size=0x1000 removed only 0x0 bytes", first)),
                e::getMessage);
        assertFalse(m.isMapped());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding(), "both ranges' IOVAs are freed");
        assertEquals(List.of(), r.dev.pendingMappings(), "no longer the driver's: not pending");
        // the buffer is the CPU's again: a CPU write is no misuse, and the device detaches clean
        a.write(r.cpu, 0, new byte[] {1});
        assertEquals(List.of(), r.dev.debugReports());
        r.dev.detach();
    }

    @Test
    void aFullPoolIsTypedAndLeavesNothingBehind() {
        IommuRig r = untrusted(Coherency.NON_COHERENT);
        CpuBuffer page = r.memory.allocate(4096);
        List<DmaMapping> live = new ArrayList<>();
        BouncePoolExhaustedException e = null;
        // a 1 MiB pool holds 256 granule-aligned runs of 4 KiB
        for (int i = 0; i < 300 && e == null; i++) {
            try {
                live.add(r.dev.mapSingle(r.cpu, page.paddr() + 8, 16, DmaDirection.TO_DEVICE));
            } catch (BouncePoolExhaustedException full) {
                e = full;
            }
        }
        assertTrue(e != null, "the pool filled up");
        assertEquals(256, live.size());
        assertEquals(256, r.dmaDomain.iovaRangesOutstanding(), "the failed map kept no IOVA");
        // a list whose second segment cannot be bounced undoes the first
        CpuBuffer whole = r.memory.allocate(4096);
        assertThrows(BouncePoolExhaustedException.class, () -> r.dev.mapSg(r.cpu,
                ScatterList.of(whole.segment(), page.segment(8, 16)), DmaDirection.TO_DEVICE));
        assertEquals(256, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(256, r.dev.pendingMappings().size());
        live.forEach(m -> m.unmap(r.cpu));
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }
}

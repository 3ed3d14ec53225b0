package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/** dma_alloc_coherent: prep (clean+invalidate) and a non-cacheable alias for non-coherent devices. */
class CoherentAllocTest {
    private static final int SIZE = 8192;

    @Test
    void nonCoherentDevicePagesAreCleanedInvalidatedZeroedAndNeverCached() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        // leave dirty lines over the pages the allocation will get
        CpuBuffer old = r.memory.allocate(SIZE);
        old.fill(r.cpu, (byte) 0x5a);
        long paddr = old.paddr();
        r.memory.free(old);

        HwCounters before = r.counters();
        CoherentBuffer buf = r.dev.allocCoherent(r.cpu, SIZE);
        HwCounters d = r.counters().minus(before);
        assertEquals(paddr, buf.dmaAddress(), "first fit: the same pages, still dirty in the cache");
        assertEquals(SIZE / Rig.LINE, d.linesCleanInvalidated());
        assertEquals(1, d.barriers());
        assertFalse(r.anyCached(paddr, SIZE), "no line of a coherent buffer may stay cached");
        assertArrayEquals(new byte[SIZE], r.ram(paddr, SIZE), "zeroed in RAM");

        // CPU writes go straight to RAM; device writes are seen at once: no syncs
        byte[] desc = Rig.pattern(256, 1);
        buf.write(r.cpu, 512, desc);
        assertArrayEquals(desc, r.deviceRead(buf.dmaAddress() + 512, 256));
        byte[] status = Rig.pattern(64, 2);
        r.deviceWrite(buf.dmaAddress() + 1024, status);
        assertArrayEquals(status, buf.read(r.cpu, 1024, 64));
        assertFalse(r.anyCached(paddr, SIZE));

        buf.free();
        assertTrue(r.dev.pendingMappings().isEmpty());
        assertThrows(DmaUsageException.class, buf::free);
    }

    @Test
    void coherentDeviceGetsCachedMemoryAndNoMaintenance() {
        Rig r = new Rig(Coherency.COHERENT);
        HwCounters before = r.counters();
        CoherentBuffer buf = r.dev.allocCoherent(r.cpu, SIZE);
        byte[] desc = Rig.pattern(256, 3);
        buf.write(r.cpu, 0, desc);
        assertTrue(r.cpu.isDirty(buf.dmaAddress()), "normal cached access");
        assertArrayEquals(desc, r.deviceRead(buf.dmaAddress(), 256), "the device snoops it");
        HwCounters d = r.counters().minus(before);
        assertEquals(0, d.linesCleaned() + d.linesInvalidated() + d.linesCleanInvalidated() + d.barriers());
        buf.free();
    }

    @Test
    void aCoherentDeviceAndTheCpuMeetAtEveryOffsetOfZeroedPages() {
        Rig r = new Rig(Coherency.COHERENT);
        CpuBuffer old = r.memory.allocate(SIZE);
        old.fill(r.cpu, (byte) 0x5a);
        r.memory.free(old);
        CoherentBuffer buf = r.dev.allocCoherent(r.cpu, SIZE);
        assertEquals(old.paddr(), buf.dmaAddress(), "the same pages");
        assertArrayEquals(new byte[SIZE], buf.read(r.cpu, 0, SIZE), "zeroed through the cache");
        assertArrayEquals(new byte[SIZE], r.deviceRead(buf.dmaAddress(), SIZE));
        byte[] desc = Rig.pattern(256, 4);
        buf.write(r.cpu, 512, desc);
        assertArrayEquals(desc, r.deviceRead(buf.dmaAddress() + 512, 256));
        assertArrayEquals(desc, buf.read(r.cpu, 512, 256), "read back through the cache, dirty there");
        byte[] status = Rig.pattern(64, 5);
        r.deviceWrite(buf.dmaAddress() + 1024, status);
        assertArrayEquals(status, buf.read(r.cpu, 1024, 64));
        buf.free();
    }

    @Test
    void freedCoherentPagesAreOrdinaryBufferPagesAgain() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 4096);
        long paddr = ring.cpuAddress();
        r.dev.freeCoherent(4096, paddr, ring.dmaAddress());
        CpuBuffer again = r.memory.allocate(4096);
        assertEquals(paddr, again.paddr());
        // THROW mode: still marked coherent, this map would be MAP_VMALLOC_AREA
        r.dev.mapSingle(r.cpu, again, DmaDirection.TO_DEVICE).unmap(r.cpu);
        assertEquals(0, r.dev.debugReportCount());
    }

    @Test
    void allocationStaysBelowTheDmaMask() {
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.bitMask(21));
        CoherentBuffer a = r.dev.allocCoherent(r.cpu, 512 * 1024);
        assertTrue(a.dmaAddress() + a.size() - 1 <= DeviceParams.bitMask(21));
        int pages = r.memory.pagesInUse();
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> r.dev.allocCoherent(r.cpu, 1 << 20));
        assertTrue(e.getMessage().contains("size=1048576"), e.getMessage());
        assertEquals(pages, r.memory.pagesInUse());
        assertEquals(1, r.dev.pendingMappings().size());
        a.free();
    }

    @Test
    void aMaskThatReachesNoFreePageIsAMappingErrorNamingTheMask() {
        // 20 bits reach the bounce pool's 1 MiB at the bottom of memory and no buffer page
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.bitMask(20));
        int pages = r.memory.pagesInUse();
        HwCounters before = r.counters();
        DmaMappingException e = assertThrows(DmaMappingException.class, () -> r.dev.allocCoherent(r.cpu, 4096));
        assertTrue(e.getMessage().contains("size=4096") && e.getMessage().contains("dmaMask=0xfffff"),
                e::getMessage);
        assertEquals(pages, r.memory.pagesInUse());
        assertEquals(before, r.counters(), "no page prepared");
        assertTrue(r.dev.pendingMappings().isEmpty());
        DmaDevice wider = DmaDevice.create(r.memory, r.dev.params().withDmaMask(DeviceParams.bitMask(21)));
        wider.allocCoherent(r.cpu, 4096).free();
    }

    @Test
    void aSizeWhosePagesPassTheLargestIntIsRefusedBeforeAnyPageIsTaken() {
        // 4 GiB of sparse RAM: 2 GiB of pages are free, so only the size check can refuse
        Machine big = Machine.create(MachineConfig.of(4L << 30));
        PageAllocator memory = PageAllocator.create(big, Rig.POOL);
        DmaDevice dev = DmaDevice.create(memory,
                DeviceParams.of(big.attach(1, Coherency.NON_COHERENT)).withDmaMask(-1L));
        for (int size : new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 100, DeviceMapper.MAX_COHERENT_SIZE + 1}) {
            DmaUsageException e = assertThrows(DmaUsageException.class, () -> dev.allocCoherent(big.cpu(0), size));
            assertTrue(e.getMessage().contains("size=" + size), e::getMessage);
            assertEquals(0, memory.pagesInUse(), "no page taken");
            assertEquals(HwCounters.ZERO, big.counters(), "no page prepared");
        }
        assertTrue(dev.pendingMappings().isEmpty());
        dev.allocCoherent(big.cpu(0), 4096).free();
    }
}

package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.smmu.CdLayout;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.hw.smmu.SteLayout;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/** What attach and detach leave in the STE and CD in RAM, whatever the memory held before. */
class StreamTableTest {
    private static final int SID = 9;
    private static final long STALE = 0xdead_beef_dead_beefL;

    private static long ste(Rig rig, int sid) {
        long strtab = SmmuProgramming.of(rig.smmu).readRegister64(SmmuRegisters.STRTAB_BASE)
                & SmmuRegisters.STRTAB_BASE_ADDR;
        return strtab + (long) sid * SteLayout.BYTES;
    }

    @Test
    void attach_writes_every_dword_of_the_ste_and_cd_over_stale_memory() {
        Rig rig = new Rig(SmmuConfig.gem5());
        PhysicalMemory ram = rig.machine.memory();
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        domain.map(0x10_0000, Rig.DATA, 4096, IommuProt.READ);
        long ste = ste(rig, SID);
        rig.driver.attach(domain, SID);
        long cd = ram.readLong(ste) & SteLayout.S1_CONTEXT_PTR;
        rig.driver.detach(SID);
        for (int i = 0; i < CdLayout.BYTES / 8; i++) {
            ram.writeLong(cd + 8L * i, STALE); // the freed CD block, dirty for its next user
        }
        ram.writeLong(ste + 8, STALE);
        rig.driver.attach(domain, SID);
        assertEquals(cd, ram.readLong(ste) & SteLayout.S1_CONTEXT_PTR, "the same block again");
        assertEquals(0, ram.readLong(ste + 8), "STE dword 1");
        for (int i = 2; i < CdLayout.BYTES / 8; i++) {
            assertEquals(0, ram.readLong(cd + 8L * i), "CD dword " + i);
        }
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, Rig.read(port, 0x10_0000));
    }

    @Test
    void detach_leaves_an_abort_ste_with_a_clear_second_dword() {
        Rig rig = new Rig(SmmuConfig.gem5());
        PhysicalMemory ram = rig.machine.memory();
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        long ste = ste(rig, SID);
        rig.driver.attach(domain, SID);
        ram.writeLong(ste + 8, STALE);
        rig.driver.detach(SID);
        assertEquals(SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_ABORT),
                ram.readLong(ste));
        assertEquals(0, ram.readLong(ste + 8));
    }

    @Test
    void a_non_coherent_walker_gets_non_cacheable_outer_shareable_walks() {
        for (boolean coherent : new boolean[] {true, false}) {
            Rig rig = new Rig(SmmuConfig.gem5().withCoherentWalk(coherent));
            IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
            rig.driver.attach(domain, SID);
            long d0 = rig.machine.memory().readLong(
                    rig.machine.memory().readLong(ste(rig, SID)) & SteLayout.S1_CONTEXT_PTR);
            int cache = coherent ? CdLayout.CACHE_WBWA : 0;
            assertEquals(cache, Fields.get(CdLayout.IRGN0, d0), "coherent=" + coherent);
            assertEquals(cache, Fields.get(CdLayout.ORGN0, d0), "coherent=" + coherent);
            assertEquals(coherent ? CdLayout.SH_ISH : CdLayout.SH_OSH, Fields.get(CdLayout.SH0, d0));
        }
    }

    @Test
    void a_cd_written_next_to_another_leaves_its_neighbour_alone() {
        Rig rig = new Rig(SmmuConfig.gem5());
        PhysicalMemory ram = rig.machine.memory();
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        rig.driver.attach(domain, 1);
        rig.driver.attach(domain, 2);
        long cd1 = ram.readLong(ste(rig, 1)) & SteLayout.S1_CONTEXT_PTR;
        long cd2 = ram.readLong(ste(rig, 2)) & SteLayout.S1_CONTEXT_PTR;
        assertEquals(cd1 + CdLayout.BYTES, cd2, "adjacent 64-byte blocks");
        long d0 = ram.readLong(cd2);
        rig.driver.detach(1);
        rig.driver.attach(domain, 3); // takes the first block back
        assertEquals(cd1, ram.readLong(ste(rig, 3)) & SteLayout.S1_CONTEXT_PTR);
        assertEquals(d0, ram.readLong(cd2), "stream 2's CD is untouched");
    }

    @Test
    void stream_0_attaches() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        domain.map(0, Rig.DATA, 4096, IommuProt.READ);
        rig.driver.attach(domain, 0);
        assertEquals(DmaStatus.OK, Rig.read(rig.port(0), 0));
    }
}

package org.dmalib.iommu.smmu.internal.pgtable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The headline cross-check: tables built here, walked by the SMMU model's walker for a device
 * on a non-coherent stream. With a non-coherent walk the walker reads RAM only, so a PTE left
 * dirty in the CPU cache would fault.
 */
class SmmuWalkTest {
    private static final int SID = 3;
    private static final int ASID = 9;
    private static final long PAGE_IOVA = 0x1234_0000L; // aligned to every granule
    private static final long PAGE_PA = 0x5000_0000L;
    private static final long BLOCK_PA = 0x6000_0000L; // 1.5 GiB: aligned to 2M, 32M and 512M

    private final Rig rig = new Rig();
    private final PhysicalMemory ram = rig.machine.memory();
    private final SmmuHarness smmu = new SmmuHarness(rig.machine);

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + 7 * i);
        }
        return b;
    }

    private void writesLandAt(DmaPort port, long iova, long pa, int seed) {
        byte[] data = pattern(200, seed);
        assertEquals(DmaStatus.OK, port.write(iova, data, 0, data.length));
        byte[] inRam = new byte[data.length];
        ram.read(pa, inRam, 0, inRam.length);
        assertArrayEquals(data, inRam, String.format("iova=0x%x -> pa=0x%x", iova, pa));
        byte[] back = new byte[data.length];
        assertEquals(DmaStatus.OK, port.read(iova, back, 0, back.length));
        assertArrayEquals(data, back);
    }

    @ParameterizedTest(name = "granule {0}, ias {1}, coherent walk {2}")
    @CsvSource({
        "4096, 48, false", "4096, 48, true", "4096, 39, false", "4096, 32, false",
        "16384, 48, false", "16384, 47, true", "16384, 36, false",
        "65536, 48, false", "65536, 42, true", "65536, 36, false",
    })
    void a_device_reaches_pages_and_a_block_at_the_right_physical_addresses(
            int granule, int ias, boolean coherent) {
        ArmLpaePageTable t = rig.table(new LpaeConfig(granule, ias, 48, coherent),
                rig.flushOps(granule));
        long block = t.config().blockSize(2); // 2M, 32M, 512M
        long blockIova = 2 * block;
        assertEquals(2L * granule, t.mapPages(PAGE_IOVA, PAGE_PA, granule, 2, IommuProt.READ_WRITE));
        assertEquals(block, t.mapPages(blockIova, BLOCK_PA, block, 1, IommuProt.READ_WRITE));
        DmaPort port = smmu.attach(SID, ASID, t);
        writesLandAt(port, PAGE_IOVA + granule - 100, PAGE_PA + granule - 100, 1); // both pages
        writesLandAt(port, blockIova + block / 2 + 24, BLOCK_PA + block / 2 + 24, 2);
        writesLandAt(port, blockIova + block - 200, BLOCK_PA + block - 200, 3);
        assertEquals(List.of(), smmu.smmu.events());
        assertEquals(DmaStatus.ABORT, port.read(PAGE_IOVA + 2L * granule, new byte[8], 0, 8));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID,
                PAGE_IOVA + 2L * granule, false)), smmu.smmu.events());
    }

    @Test
    void a_gigabyte_block_at_4k() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), rig.flushOps(4096));
        t.mapPages(3 * Rig.GIB, Rig.GIB, Rig.GIB, 1, IommuProt.READ_WRITE);
        DmaPort port = smmu.attach(SID, ASID, t);
        writesLandAt(port, 3 * Rig.GIB + 0x3fff_0000L, Rig.GIB + 0x3fff_0000L, 4);
    }

    @Test
    void read_only_and_privileged_mappings_are_enforced_by_the_walker() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, false), rig.flushOps(4096));
        t.mapPages(0x1000, PAGE_PA, 4096, 1, IommuProt.READ);
        t.mapPages(0x2000, PAGE_PA, 4096, 1, IommuProt.READ_WRITE.with(IommuProt.PRIV));
        DmaPort port = smmu.attach(SID, ASID, t);
        assertEquals(DmaStatus.OK, port.read(0x1000, new byte[8], 0, 8));
        assertEquals(DmaStatus.ABORT, port.write(0x1000, new byte[8], 0, 8));
        assertEquals(DmaStatus.ABORT, port.read(0x2000, new byte[8], 0, 8),
                "the stream's accesses are unprivileged, AP[1] is clear");
        assertEquals(List.of(SmmuEvent.Kind.PERMISSION_FAULT, SmmuEvent.Kind.PERMISSION_FAULT),
                smmu.smmu.events().stream().map(SmmuEvent::kind).toList());
    }
}

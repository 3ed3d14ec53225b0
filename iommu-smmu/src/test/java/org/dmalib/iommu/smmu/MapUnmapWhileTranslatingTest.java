package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mapper threads map, verify and unmap their own disjoint ranges of one domain (4 KiB pages, then
 * a 2 MiB block over the emptied leaf table, then a 1 GiB-sized unmap that frees whole
 * sub-trees) while device threads on two streams of the same domain keep reading a set of stable
 * mappings that share upper-level tables with the mappers' ranges. The SMMU caches nothing, so
 * every device access walks the tables being changed. Stable mappings never fault nor return
 * wrong data; at the end every stable page holds its data and every mapper page faults.
 */
class MapUnmapWhileTranslatingTest {
    private static final long PAGE = 4096;
    private static final long MIB2 = 2 * Rig.MIB;
    private static final long STABLE = Rig.GIB; // stable pages in [1 GiB, 1 GiB + 1 MiB)
    private static final long STABLE_PAGES = 256;
    private static final long STABLE_BLOCK = Rig.GIB + 64 * Rig.MIB; // a stable 2 MiB block
    private static final long MAGIC = 0x5ab1e_0000_0000L;
    private static final int MAPPERS = 3;
    private static final int DEVICES = 2;
    private static final int ROUNDS = 60;
    private static final long MAPPED_PAGES = 16;

    /** Mapper {@code t}'s 2 MiB slot: next to the stable pages, in the same level-2 table. */
    private static long slot(int t) {
        return STABLE + (t + 1) * MIB2;
    }

    /** Mapper {@code t}'s region in a level-1 slot of its own, freed whole by 1 GiB unmaps. */
    private static long far(int t) {
        return (5L + t) * Rig.GIB;
    }

    private static long tagOf(long iova) {
        return MAGIC ^ iova;
    }

    private static void writeTag(PhysicalMemory ram, long paddr, long iova) {
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(tagOf(iova)).array();
        ram.write(paddr, b, 0, 8);
    }

    /** The stable IOVAs a device checks, and where their tags are. */
    private static List<long[]> stable() {
        List<long[]> out = new ArrayList<>();
        for (long i = 0; i < STABLE_PAGES; i++) {
            out.add(new long[] {STABLE + i * PAGE, Rig.DATA + PAGE + i * PAGE});
        }
        for (long off = 0; off < MIB2; off += 256 * 1024) {
            out.add(new long[] {STABLE_BLOCK + off, Rig.DATA + 64 * Rig.MIB + off});
        }
        return out;
    }

    private static String check(DmaPort port, long iova) {
        byte[] b = new byte[8];
        DmaStatus s = port.read(iova, b, 0, 8);
        if (s != DmaStatus.OK) {
            return String.format("stream %d: iova=0x%x %s", port.streamId(), iova, s);
        }
        long got = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return got == tagOf(iova) ? null : String.format(
                "stream %d: iova=0x%x read 0x%x, want 0x%x", port.streamId(), iova, got, tagOf(iova));
    }

    private static void verifyMapped(IommuDomain d, long iova, long paddr, long size, long step) {
        for (long off = 0; off < size; off += step) {
            assertEquals(OptionalLong.of(paddr + off), d.iovaToPhys(iova + off));
        }
    }

    private static void verifyUnmapped(IommuDomain d, long iova, long size, long step) {
        for (long off = 0; off < size; off += step) {
            assertEquals(OptionalLong.empty(), d.iovaToPhys(iova + off));
        }
    }

    @ParameterizedTest(name = "coherent walk {0}")
    @ValueSource(booleans = {true, false})
    void mappers_on_disjoint_ranges_never_disturb_a_device_translating_stable_mappings(
            boolean coherent) throws Exception {
        Rig rig = new Rig(SmmuConfig.noCache().withCoherentWalk(coherent));
        PhysicalMemory ram = rig.machine.memory();
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        List<DmaPort> ports = new ArrayList<>();
        for (int sid = 1; sid <= DEVICES; sid++) {
            rig.driver.attach(domain, sid);
            ports.add(rig.port(sid));
        }
        List<long[]> stable = stable();
        for (long[] s : stable) {
            writeTag(ram, s[1], s[0]);
        }
        domain.map(STABLE, Rig.DATA + PAGE, STABLE_PAGES * PAGE, IommuProt.READ);
        domain.map(STABLE_BLOCK, Rig.DATA + 64 * Rig.MIB, MIB2, IommuProt.READ);

        AtomicBoolean done = new AtomicBoolean();
        Queue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicLong deviceReads = new AtomicLong();
        List<Callable<Void>> devices = new ArrayList<>();
        for (DmaPort port : ports) {
            devices.add(() -> {
                do { // at least one full pass, however fast the mappers are
                    for (long[] s : stable) {
                        String bad = check(port, s[0]);
                        if (bad != null) {
                            wrong.add(bad);
                        }
                        deviceReads.incrementAndGet();
                    }
                } while (!done.get() && wrong.isEmpty());
                return null;
            });
        }
        List<Callable<Void>> mappers = new ArrayList<>();
        for (int t = 0; t < MAPPERS; t++) {
            final long slot = slot(t);
            final long far = far(t);
            final long pa = Rig.DATA + 128 * Rig.MIB + 8 * Rig.MIB * t; // 2 MiB aligned
            mappers.add(() -> {
                for (int r = 0; r < ROUNDS; r++) {
                    switch (r % 3) {
                        case 0 -> { // 4 KiB leaves in the shared level-2 table
                            domain.map(slot + PAGE, pa + PAGE * 2, MAPPED_PAGES * PAGE,
                                    IommuProt.READ_WRITE);
                            verifyMapped(domain, slot + PAGE, pa + PAGE * 2, MAPPED_PAGES * PAGE, PAGE);
                            assertEquals(MAPPED_PAGES * PAGE,
                                    domain.unmap(slot + PAGE, MAPPED_PAGES * PAGE));
                            verifyUnmapped(domain, slot + PAGE, MAPPED_PAGES * PAGE, PAGE);
                        }
                        case 1 -> { // a block replaces the emptied leaf table (walk flush, free)
                            domain.map(slot, pa, MIB2, IommuProt.READ_WRITE);
                            verifyMapped(domain, slot, pa, MIB2, 64 * PAGE);
                            assertEquals(MIB2, domain.unmap(slot, MIB2));
                            verifyUnmapped(domain, slot, MIB2, 64 * PAGE);
                        }
                        default -> { // tables installed, then freed whole by a 1 GiB unmap
                            domain.map(far + PAGE, pa + PAGE * 2, MAPPED_PAGES * PAGE,
                                    IommuProt.READ_WRITE);
                            domain.map(far + 4 * MIB2, pa, MIB2, IommuProt.READ_WRITE);
                            verifyMapped(domain, far + PAGE, pa + PAGE * 2, MAPPED_PAGES * PAGE, PAGE);
                            verifyMapped(domain, far + 4 * MIB2, pa, MIB2, 64 * PAGE);
                            assertEquals(Rig.GIB, domain.unmap(far, Rig.GIB));
                            verifyUnmapped(domain, far, 5 * MIB2, 64 * PAGE);
                        }
                    }
                }
                return null;
            });
        }

        ExecutorService pool = Executors.newFixedThreadPool(MAPPERS + DEVICES);
        try {
            List<Future<Void>> deviceRuns = new ArrayList<>();
            for (Callable<Void> d : devices) {
                deviceRuns.add(pool.submit(d));
            }
            List<Future<Void>> mapperRuns = new ArrayList<>();
            for (Callable<Void> m : mappers) {
                mapperRuns.add(pool.submit(m));
            }
            try {
                for (Future<Void> f : mapperRuns) {
                    f.get();
                }
            } finally {
                done.set(true);
            }
            for (Future<Void> f : deviceRuns) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }

        assertEquals(List.of(), List.copyOf(wrong), "stable mappings faulted or read wrong data");
        assertEquals(List.of(), rig.driver.drainEvents(), "no fault while the mappers ran");
        assertEquals(true, deviceReads.get() >= DEVICES * (long) stable.size());
        for (DmaPort port : ports) {
            for (long[] s : stable) {
                assertEquals(null, check(port, s[0]));
                assertEquals(OptionalLong.of(s[1]), domain.iovaToPhys(s[0]));
            }
        }
        for (int t = 0; t < MAPPERS; t++) {
            verifyUnmapped(domain, slot(t), MIB2, PAGE);
            Rig.assertReads(ports.get(0), slot(t), MIB2, PAGE, DmaStatus.ABORT);
            Rig.assertReads(ports.get(1), far(t), 5 * MIB2, PAGE, DmaStatus.ABORT);
        }
        rig.driver.drainEvents();
    }
}

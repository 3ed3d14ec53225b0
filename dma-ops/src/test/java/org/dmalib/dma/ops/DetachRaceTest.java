package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Detach while a map over an IOMMU is half way ({@link PausingDomain} holds it in the page-table
 * map, after its IOVA and bounce buffer were taken): the map fails as detached and leaves
 * nothing behind (IOVA, bounce slots, pages, cache-line claims, registry entries).
 */
class DetachRaceTest {

    /** The device kinds whose map undoes differently: strict, lazy (queued), untrusted (bounced). */
    private static UnaryOperator<DeviceParams> tune(String kind) {
        return switch (kind) {
            case "strict" -> p -> p;
            case "lazy" -> p -> p.withFlushMode(FlushMode.LAZY);
            case "untrusted" -> p -> p.withUntrusted(true);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"strict", "lazy", "untrusted"})
    void aMapHalfWayAtDetachFailsAsDetachedAndLeavesNothing(String kind) throws Exception {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, tune(kind));
        PausingDomain pausing = PausingDomain.atMap((GatheringDomain) r.domain, 1);
        IommuDmaDomain dd = IommuDmaDomain.create(r.memory, pausing);
        DmaDevice dev = DmaDevice.create(r.memory, r.dev.params(), dd);
        CpuBuffer buf = r.memory.allocate(8192);
        // not whole granules: the untrusted device bounces it
        Throwable e = raceWithDetach(pausing, dev,
                cpu -> dev.mapSingle(cpu, buf.paddr() + 100, 3000, DmaDirection.BIDIRECTIONAL), r.machine.cpu(1));
        assertInstanceOf(DmaUsageException.class, e);
        assertTrue(e.getMessage().contains("is detached"), e.getMessage());
        dd.flushQueue(); // a lazy device's undo queued its IOVA
        assertEquals(0, dd.iovaRangesOutstanding());
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertEquals(List.of(), dev.pendingMappings());
        // its cache-line claim is gone: a device-writable mapping of the same bytes is no overlap
        DmaDevice other = DmaDevice.create(r.memory, r.dev.params(), dd);
        other.mapSingle(r.cpu, buf.paddr() + 100, 3000, DmaDirection.BIDIRECTIONAL).unmap(r.cpu);
    }

    @ParameterizedTest
    @ValueSource(strings = {"strict", "lazy"})
    void aCoherentAllocationHalfWayAtDetachFailsAsDetachedAndGivesItsPagesBack(String kind)
            throws Exception {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, tune(kind));
        PausingDomain pausing = PausingDomain.atMap((GatheringDomain) r.domain, 1);
        IommuDmaDomain dd = IommuDmaDomain.create(r.memory, pausing);
        DmaDevice dev = DmaDevice.create(r.memory, r.dev.params(), dd);
        int pages = r.memory.pagesInUse();
        Throwable e = raceWithDetach(pausing, dev, cpu -> dev.allocCoherent(cpu, 8192), r.machine.cpu(1));
        assertInstanceOf(DmaUsageException.class, e);
        assertTrue(e.getMessage().contains("is detached"), e.getMessage());
        dd.flushQueue();
        assertEquals(pages, r.memory.pagesInUse());
        assertEquals(0, dd.iovaRangesOutstanding());
        assertEquals(List.of(), dev.pendingMappings());
    }

    /**
     * Runs {@code call} on {@code cpu} in a thread of its own, detaches {@code dev} while the call
     * is held in the domain, and returns what the call threw (an {@link AssertionError} if it returned).
     */
    private static Throwable raceWithDetach(PausingDomain pausing, DmaDevice dev, Function<Cpu, ?> call,
            Cpu cpu) throws InterruptedException {
        List<Throwable> thrown = Collections.synchronizedList(new ArrayList<>());
        Thread t = new Thread(() -> {
            try {
                Object made = call.apply(cpu);
                thrown.add(new AssertionError("the call made " + made + " on a detached device"));
            } catch (Throwable e) {
                thrown.add(e);
            }
        });
        t.setDaemon(true);
        t.start();
        try {
            pausing.awaitPaused();
            dev.detach(); // THROW mode: nothing is pending, so nothing is reported
        } finally {
            pausing.resume();
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(1, thrown.size(), "the call must end: " + thrown);
        return thrown.get(0);
    }
}

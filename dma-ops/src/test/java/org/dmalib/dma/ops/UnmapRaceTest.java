package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.api.Test;

/**
 * Unmaps racing with lookups of the device's registry: by-address unmaps, detach and other
 * unmaps. The interleavings are forced where a hook allows it ({@link PausingDomain} holds an
 * unmap half way); the by-address race of two unmaps is a short stress, longer with
 * {@code -Ddmalib.dma.unmapRaceRounds=N}.
 */
class UnmapRaceTest {
    // rounds of the stress: each forces both threads into one unmap at once; about 0.2 s
    private static final int ROUNDS = Integer.getInteger("dmalib.dma.unmapRaceRounds", 3000);

    @Test
    void aListMappedAtTheAddressOfOneStillUnmappingIsUnmappedByThatAddress() throws Exception {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withUntrusted(true));
        // held in the second piece's sync: the first piece's IOVA is freed, the unmap not done
        PausingDomain pausing = PausingDomain.atSync((GatheringDomain) r.domain, 2);
        IommuDmaDomain dd = IommuDmaDomain.create(r.memory, pausing);
        DmaDevice dev = DmaDevice.create(r.memory, r.dev.params(), dd);
        Cpu cpu1 = r.machine.cpu(1);
        // whole granules: an untrusted device maps them unbounced, one IOVA range per segment
        ScatterList first = ScatterList.of(r.memory.allocate(4096).segment(), r.memory.allocate(4096).segment());
        ScatterList second = ScatterList.of(r.memory.allocate(4096).segment(), r.memory.allocate(4096).segment());
        DmaMapping old = dev.mapSg(r.cpu, first, DmaDirection.TO_DEVICE);
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        // the unmap runs on CPU 1 and is preempted there half way
        Thread unmapper = RaceThreads.start(() -> old.unmap(cpu1), failures);
        DmaMapping fresh;
        try {
            pausing.awaitPaused();
            // CPU 1 again: its IOVA cache hands out the range the held unmap freed
            fresh = dev.mapSg(cpu1, second, DmaDirection.TO_DEVICE);
            assertEquals(old.dmaAddress(), fresh.dmaAddress(), "the interleaving needs the reused IOVA");
            try {
                dev.unmapSg(cpu1, fresh.dmaAddress(), 2, DmaDirection.TO_DEVICE);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        } finally {
            pausing.resume();
            unmapper.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(List.of(), failures);
        assertFalse(fresh.isMapped(), "the driver's unmap by address left its mapping mapped");
        assertEquals(List.of(), dev.pendingMappings());
        assertEquals(0, dd.iovaRangesOutstanding());
    }

    @Test
    void aMappingWhoseUnmapHasBegunIsNotPendingAtDetach() throws Exception {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        PausingDomain pausing = PausingDomain.atSync((GatheringDomain) r.domain, 1);
        IommuDmaDomain dd = IommuDmaDomain.create(r.memory, pausing);
        DmaDevice dev = DmaDevice.create(r.memory, r.dev.params(), dd);
        DmaMapping m = dev.mapSingle(r.cpu, r.memory.allocate(4096), DmaDirection.TO_DEVICE);
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Thread unmapper = RaceThreads.start(() -> m.unmap(r.machine.cpu(1)), failures);
        try {
            pausing.awaitPaused();
            assertFalse(m.isMapped());
            assertEquals(List.of(), dev.pendingMappings(), "a mapping no longer mapped is pending");
            try {
                dev.detach(); // THROW mode: a leak would throw
            } catch (RuntimeException e) {
                failures.add(e);
            }
        } finally {
            pausing.resume();
            unmapper.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(List.of(), failures);
        assertEquals(0, dd.iovaRangesOutstanding());
    }

    @Test
    void twoUnmapsByAddressOfTwoMappingsThereUnmapOneEach() throws Exception {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(4096);
        long addr = buf.paddr(); // the direct path: both mappings of buf are at its address
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        // the main thread maps, then all three meet: the two unmaps start together
        CyclicBarrier go = new CyclicBarrier(3);
        CyclicBarrier done = new CyclicBarrier(3);
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            Cpu cpu = r.machine.cpu(t);
            threads[t] = RaceThreads.start(() -> {
                for (int i = 0; i < ROUNDS; i++) {
                    go.await();
                    try {
                        r.dev.unmapSingle(cpu, addr, 4096, DmaDirection.TO_DEVICE);
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                    done.await();
                }
                return;
            }, failures);
        }
        int leftMapped = 0;
        for (int i = 0; i < ROUNDS; i++) {
            // TO_DEVICE twice: legal, the device only reads (no cache line is claimed)
            DmaMapping a = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
            DmaMapping b = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
            assertEquals(a.dmaAddress(), b.dmaAddress());
            go.await(10, TimeUnit.SECONDS);
            done.await(10, TimeUnit.SECONDS);
            leftMapped += r.dev.pendingMappings().size();
            // the next round starts clean whatever this one did
            for (int k = r.dev.pendingMappings().size(); k > 0; k--) {
                r.dev.unmapSingle(r.cpu, addr, 4096, DmaDirection.TO_DEVICE);
            }
            if (!failures.isEmpty()) {
                break;
            }
        }
        for (Thread t : threads) {
            t.interrupt();
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(0, leftMapped, "mappings left behind: " + failures);
        assertEquals(List.of(), failures.stream().filter(e -> !(e instanceof InterruptedException)
                && !(e instanceof java.util.concurrent.BrokenBarrierException)).toList());
    }

    @Test
    void ofTwoRacingUnmapsByAddressOnlyTheOneThatUnmapsReportsOnTheMapping() throws Exception {
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
        CpuBuffer buf = r.memory.allocate(4096);
        int rounds = ROUNDS;
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        // the round to run, published after its mapping; the worker spins on it and the main
        // thread unmaps right after publishing, so that both unmaps start within a microsecond
        // (a barrier's wake-ups are tens of microseconds apart). Two threads: one per core
        AtomicLong round = new AtomicLong(-1);
        AtomicLong address = new AtomicLong();
        CyclicBarrier done = new CyclicBarrier(2);
        int[] refused = new int[2];
        Cpu cpu1 = r.machine.cpu(1);
        Thread worker = RaceThreads.start(() -> {
            for (int i = 0; i < rounds; i++) {
                while (round.get() != i) {
                    Thread.onSpinWait(); // the main thread maps meanwhile, on the other core
                }
                refused[1] += unmapRefused(r.dev, cpu1, address.get());
                done.await(10, TimeUnit.SECONDS);
            }
        }, failures);
        for (int i = 0; i < rounds && failures.isEmpty(); i++) {
            // never checked with mappingError: its unmap reports MAP_ERROR_NOT_CHECKED (WARN)
            address.set(r.dev.mapPage(r.cpu, buf.paddr(), 4096, DmaDirection.TO_DEVICE));
            round.set(i);
            refused[0] += unmapRefused(r.dev, r.cpu, address.get());
            done.await(10, TimeUnit.SECONDS);
        }
        worker.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(List.of(), failures);
        assertEquals(rounds, refused[0] + refused[1], "one unmap per round is refused");
        // dma-debug finds and removes the entry in one step: the loser finds none to report on.
        // Per round one MAP_ERROR_NOT_CHECKED (the winner) and one FREE_NOT_ALLOCATED (the loser)
        assertEquals(2L * rounds, r.dev.debugReportCount(), "reports of " + rounds + " rounds");
        assertEquals(List.of(), r.dev.pendingMappings());
    }

    /** Unmaps by address: 0 if it unmapped, 1 if it was refused as unmapped already. */
    private static int unmapRefused(DmaDevice dev, Cpu cpu, long address) {
        try {
            dev.unmapSingle(cpu, address, 4096, DmaDirection.TO_DEVICE);
            return 0;
        } catch (DmaDebugException e) {
            assertEquals(DebugCheck.FREE_NOT_ALLOCATED, e.report().check());
            return 1;
        }
    }

    @Test
    void ofTwoRacingUnmapsOfABouncedMappingOneWinsAndNothingIsFreedTwice() throws Exception {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withUntrusted(true));
        // not whole granules: bounced, its slots and its IOVA must be released exactly once
        CpuBuffer buf = r.memory.allocate(8192);
        Cpu[] cpus = {r.machine.cpu(0), r.machine.cpu(1)};
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        int rounds = ROUNDS / 20;
        for (int i = 0; i < rounds; i++) {
            DmaMapping m = r.dev.mapSingle(r.cpu, buf.paddr() + 100, 3000, DmaDirection.BIDIRECTIONAL);
            assertTrue(m.isBounced());
            CyclicBarrier go = new CyclicBarrier(2);
            int[] wins = new int[2];
            Thread[] threads = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int me = t;
                threads[t] = RaceThreads.start(() -> {
                    go.await();
                    try {
                        m.unmap(cpus[me]);
                        wins[me] = 1;
                    } catch (DmaUsageException e) {
                        assertTrue(e.getMessage().contains("unmap twice"), e.getMessage());
                    }
                    return;
                }, failures);
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
            assertEquals(List.of(), failures);
            assertEquals(1, wins[0] + wins[1], "round " + i);
            assertEquals(0, r.memory.bounceSlotsInUse());
            assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        }
        assertEquals(List.of(), r.dev.pendingMappings());
    }
}

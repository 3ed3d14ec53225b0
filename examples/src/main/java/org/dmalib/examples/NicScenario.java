package org.dmalib.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The NIC example as one call, for the CLI and for tests: builds a {@link Platform} (direct, or
 * behind an SMMUv3 strict or lazy), a {@link Nic} on its port and a {@link NicDriver}, and moves
 * {@link ScenarioConfig#operations()} packets in each direction in NAPI-style bursts: up to
 * {@value #MAX_BURST} frames arrive from the wire and as many packets are transmitted, then the
 * driver reaps TX completions and receives. Frames and packets have seeded random lengths (60 to
 * 1514 bytes) and contents; every frame the driver delivers and every packet on the wire is
 * compared with what was offered.
 *
 * <p>The DMA domain's clock advances {@value #NANOS_PER_PACKET} ns per packet pair (about
 * 10 GbE line rate for full frames), so the lazy flush queue's timeout fires at the same packets
 * on every run.
 *
 * <p>Stateless; each run builds its own machine, so runs are independent and thread-safe.
 */
public final class NicScenario {
    /** The most frames (and packets) per burst: a NAPI budget's worth of a small ring. */
    public static final int MAX_BURST = 32;
    /** Modelled nanoseconds per packet in each direction: 1.2 us, a 1514-byte frame at 10 Gb/s. */
    public static final long NANOS_PER_PACKET = 1_200;
    /** The shortest frame generated: 60 bytes, Ethernet's minimum without FCS. */
    public static final int MIN_FRAME = 60;

    private NicScenario() {}

    /**
     * Runs the scenario.
     *
     * @param config what to run
     * @return what was counted
     * @throws org.dmalib.dma.ops.DmaUsageException from the driver's second unmap when it makes
     *     {@link DriverMistake#DOUBLE_UNMAP} (in every debug mode); in THROW mode, as a
     *     {@link org.dmalib.dma.ops.DmaDebugException}, at the first debug report of any other
     *     mistake
     * @throws org.dmalib.dma.ops.DmaLeakException from the driver's stop when it makes
     *     {@link DriverMistake#LEAK_AT_DETACH} in THROW mode (unless the CPU rewrote the leaked
     *     packet's buffer before, a debug report)
     */
    public static ScenarioResult run(ScenarioConfig config) {
        Platform p = new Platform(config.mode(), config.coherency(), config.debug());
        Nic nic = new Nic(p.port);
        NicDriver driver = new NicDriver(p.dev, nic, p.cpu, config.ringEntries(), config.mistake());
        Random random = new Random(config.seed());
        // a burst must fit the TX ring, which holds entries - 1 packets
        int maxBurst = Math.min(MAX_BURST, config.ringEntries() - 1);
        driver.start();

        Platform.Snapshot before = p.snapshot();
        long deviceErrors0 = nic.rxErrors() + nic.txErrors();
        long t0 = System.nanoTime();
        long bytes = 0;
        long dataErrors = 0;
        int done = 0;
        List<byte[]> arrived = new ArrayList<>(maxBurst);
        List<byte[]> sent = new ArrayList<>(maxBurst);
        while (done < config.operations()) {
            int burst = Math.min(1 + random.nextInt(maxBurst), config.operations() - done);
            arrived.clear();
            sent.clear();
            for (int i = 0; i < burst; i++) {
                byte[] frame = frame(random);
                bytes += frame.length;
                nic.receive(frame);
                arrived.add(frame);
            }
            for (int i = 0; i < burst; i++) {
                byte[] packet = frame(random);
                bytes += packet.length;
                if (driver.transmit(packet)) {
                    sent.add(packet);
                } else {
                    dataErrors++; // the ring stayed full: the packet is lost
                }
            }
            p.advance(burst * NANOS_PER_PACKET);
            driver.reapTx();
            dataErrors += arrived.size() - matched(arrived, driver.receive());
            dataErrors += sent.size() - matched(sent, nic.drainWire());
            done += burst;
        }
        long wall = System.nanoTime() - t0;
        Platform.Snapshot counted = p.snapshot().minus(before);
        long deviceErrors = nic.rxErrors() + nic.txErrors() - deviceErrors0;

        driver.stop();
        p.teardown();
        return new ScenarioResult("nic", config, done, bytes, dataErrors, deviceErrors,
                counted.hw(), counted.smmu(), counted.commands(), counted.lazy(),
                p.dev.pendingMappings().size(), p.iovaRangesOutstanding(), wall,
                p.dev.debugReports(), p.dev.debugReportCount());
    }

    /**
     * Returns how many of {@code got} are intact copies of {@code expected}, in order, with
     * gaps allowed (a lost frame leaves a gap; a corrupted one matches nothing).
     */
    static int matched(List<byte[]> expected, List<byte[]> got) {
        int n = 0;
        int next = 0;
        for (byte[] g : got) {
            for (int i = next; i < expected.size(); i++) {
                if (Arrays.equals(expected.get(i), g)) {
                    n++;
                    next = i + 1;
                    break;
                }
            }
        }
        return n;
    }

    private static byte[] frame(Random random) {
        byte[] f = new byte[MIN_FRAME + random.nextInt(Nic.MAX_FRAME - MIN_FRAME + 1)];
        random.nextBytes(f);
        return f;
    }
}

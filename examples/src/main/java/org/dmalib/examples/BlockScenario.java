package org.dmalib.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;

/**
 * The block example as one call, for the CLI and for tests: builds a {@link Platform}, a
 * {@value #DISK_SECTORS}-sector {@link BlockDevice} on its port and a {@link BlockDriver}, and
 * runs {@link ScenarioConfig#operations()} requests in bursts of up to {@value #MAX_BURST},
 * half reads and half writes at seeded random sectors. Each request has 1 to
 * {@value #MAX_REQUEST_SEGMENTS} segments of 512 to 8192 bytes (whole sectors) at sub-page
 * offsets (multiples of 512), some ending on a page boundary with the next starting at one, so
 * that an IOMMU merges them. A write's payload is random; a read's buffers are filled with a
 * poison byte by the CPU first. Every completed read is compared with a shadow copy of the disk,
 * every completed write with the disk itself.
 *
 * <p>The DMA domain's clock advances {@value #NANOS_PER_REQUEST} ns per request.
 *
 * <p>Stateless; each run builds its own machine, so runs are independent and thread-safe.
 */
public final class BlockScenario {
    /** The most requests per burst (in flight at once). */
    public static final int MAX_BURST = 8;
    /** The most segments per generated request. */
    public static final int MAX_REQUEST_SEGMENTS = 8;
    /** The disk's size: 16 MiB of 512-byte sectors. */
    public static final int DISK_SECTORS = 32768;
    /** Modelled nanoseconds per request: 10 us, the order of a fast SSD's read latency. */
    public static final long NANOS_PER_REQUEST = 10_000;
    /** What the CPU writes into a read's buffers before submitting it. */
    public static final byte POISON = (byte) 0xA5;

    private static final int PAGE = 4096;
    // each segment gets three pages of its own: offset up to 3584 plus up to 8192 bytes
    private static final int PAGES_PER_SEGMENT = 3;
    private static final int SEGMENT_AREA = PAGES_PER_SEGMENT * PAGE;
    // 512-byte units: lengths 1..16 units (512..8192), offsets 0..7 units (0..3584)
    private static final int UNITS_PER_PAGE = PAGE / BlockDevice.SECTOR;
    private static final int MAX_LENGTH_UNITS = 16;

    private BlockScenario() {}

    /** One generated request, where its segments lie in its burst slot's area, its data. */
    private static final class Pending {
        final BlockRequest request;
        final int area;
        final int[] offsets;
        final int[] lengths;
        final byte[] expected;

        Pending(BlockRequest request, int area, int[] offsets, int[] lengths, byte[] expected) {
            this.request = request;
            this.area = area;
            this.offsets = offsets;
            this.lengths = lengths;
            this.expected = expected;
        }
    }

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
     *     request's buffers before, a debug report)
     * @throws IllegalArgumentException if the mistake is {@link DriverMistake#UNCHECKED_RESULT},
     *     which the block driver has no place for
     */
    public static ScenarioResult run(ScenarioConfig config) {
        Platform p = new Platform(config.mode(), config.coherency(), config.debug());
        BlockDevice disk = new BlockDevice(p.port, DISK_SECTORS);
        BlockDriver driver = new BlockDriver(p.dev, disk, p.cpu, config.ringEntries(), config.mistake());
        Random random = new Random(config.seed());
        int maxBurst = Math.min(MAX_BURST, config.ringEntries() - 1);
        List<CpuBuffer> areas = new ArrayList<>(maxBurst);
        for (int i = 0; i < maxBurst; i++) {
            areas.add(p.memory.allocate(MAX_REQUEST_SEGMENTS * SEGMENT_AREA));
        }
        byte[] shadow = new byte[DISK_SECTORS * BlockDevice.SECTOR];
        driver.start();

        Platform.Snapshot before = p.snapshot();
        long deviceErrors0 = disk.errors();
        long t0 = System.nanoTime();
        long bytes = 0;
        long dataErrors = 0;
        int done = 0;
        Pending[] byTag = new Pending[config.ringEntries()];
        while (done < config.operations()) {
            int burst = Math.min(1 + random.nextInt(maxBurst), config.operations() - done);
            for (int k = 0; k < burst; k++) {
                Pending r = generate(random, p, areas.get(k), k, shadow);
                bytes += r.expected.length;
                byTag[driver.submit(r.request)] = r;
            }
            p.advance(burst * NANOS_PER_REQUEST);
            for (BlockCompletion c : driver.reap()) {
                Pending r = byTag[c.tag()];
                byTag[c.tag()] = null;
                if (!intact(c, r, p, areas.get(r.area), disk, shadow)) {
                    dataErrors++;
                }
                if (r.request.op() == BlockRequest.Op.WRITE && !c.ok()) {
                    // the shadow took the write at submission: put back what the disk has
                    byte[] now = disk.peek(r.request.sector(), (int) r.request.sectorCount());
                    System.arraycopy(now, 0, shadow, (int) r.request.sector() * BlockDevice.SECTOR,
                            now.length);
                }
            }
            done += burst;
        }
        long wall = System.nanoTime() - t0;
        Platform.Snapshot counted = p.snapshot().minus(before);
        long deviceErrors = disk.errors() - deviceErrors0;

        driver.stop();
        p.teardown();
        for (CpuBuffer a : areas) {
            p.memory.free(a);
        }
        return new ScenarioResult("block", config, done, bytes, dataErrors, deviceErrors,
                counted.hw(), counted.smmu(), counted.commands(), counted.lazy(),
                p.dev.pendingMappings().size(), p.iovaRangesOutstanding(), wall,
                p.dev.debugReports(), p.dev.debugReportCount());
    }

    /**
     * Whether a completed request's data is right: a read's buffers hold what the disk held when
     * it ran; a write's sectors hold what the shadow holds (its payload, or that of a later
     * write of the same burst that overlaps it: the device runs requests in order).
     */
    private static boolean intact(BlockCompletion c, Pending r, Platform p, CpuBuffer area,
            BlockDevice disk, byte[] shadow) {
        if (!c.ok()) {
            return false;
        }
        BlockRequest q = r.request;
        if (q.op() == BlockRequest.Op.WRITE) {
            int at = (int) q.sector() * BlockDevice.SECTOR;
            return Arrays.equals(Arrays.copyOfRange(shadow, at, at + r.expected.length),
                    disk.peek(q.sector(), (int) q.sectorCount()));
        }
        byte[] got = new byte[r.expected.length];
        int pos = 0;
        for (int i = 0; i < r.offsets.length; i++) {
            byte[] piece = area.read(p.cpu, r.offsets[i], r.lengths[i]);
            System.arraycopy(piece, 0, got, pos, piece.length);
            pos += piece.length;
        }
        return Arrays.equals(r.expected, got);
    }

    /**
     * Makes one request in {@code area}: its layout, its sector, and its data (a write's payload
     * is written into the buffers and the shadow; a read's buffers are poisoned and its expected
     * data read from the shadow).
     */
    private static Pending generate(Random random, Platform p, CpuBuffer area, int areaIndex,
            byte[] shadow) {
        int n = 1 + random.nextInt(MAX_REQUEST_SEGMENTS);
        int[] offsets = new int[n];
        int[] lengths = new int[n];
        List<Segment> segments = new ArrayList<>(n);
        int total = 0;
        boolean pageAligned = false;
        for (int i = 0; i < n; i++) {
            // after a segment that ended on a page boundary, start at one half the time: the
            // case an IOMMU merges into one DMA segment
            int units = pageAligned && random.nextBoolean() ? 0 : random.nextInt(UNITS_PER_PAGE);
            int offset = units * BlockDevice.SECTOR;
            int length = (1 + random.nextInt(MAX_LENGTH_UNITS)) * BlockDevice.SECTOR;
            int end = (offset + length + PAGE - 1) / PAGE * PAGE;
            // a quarter of the segments run on to the next page boundary (within 8 KiB)
            if (random.nextInt(4) == 0 && end - offset <= MAX_LENGTH_UNITS * BlockDevice.SECTOR) {
                length = end - offset;
            }
            pageAligned = (offset + length) % PAGE == 0;
            offsets[i] = i * SEGMENT_AREA + offset;
            lengths[i] = length;
            segments.add(area.segment(offsets[i], length));
            total += length;
        }
        BlockRequest.Op op = random.nextBoolean() ? BlockRequest.Op.READ : BlockRequest.Op.WRITE;
        long sector = random.nextInt(DISK_SECTORS - total / BlockDevice.SECTOR + 1);
        int at = (int) sector * BlockDevice.SECTOR;
        byte[] expected;
        if (op == BlockRequest.Op.WRITE) {
            expected = new byte[total];
            random.nextBytes(expected);
            int pos = 0;
            for (int i = 0; i < n; i++) {
                area.write(p.cpu, offsets[i], Arrays.copyOfRange(expected, pos, pos + lengths[i]));
                pos += lengths[i];
            }
            System.arraycopy(expected, 0, shadow, at, total);
        } else {
            expected = Arrays.copyOfRange(shadow, at, at + total);
            for (int i = 0; i < n; i++) {
                byte[] poison = new byte[lengths[i]];
                Arrays.fill(poison, POISON);
                area.write(p.cpu, offsets[i], poison);
            }
        }
        return new Pending(new BlockRequest(op, sector, ScatterList.of(segments)), areaIndex,
                offsets, lengths, expected);
    }
}

package org.dmalib.hw;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.dmalib.hw.internal.CoherenceFabric;
import org.dmalib.hw.internal.CpuCore;
import org.dmalib.hw.internal.HwStats;
import org.dmalib.hw.internal.StreamPort;
import org.dmalib.hw.internal.Translation;
import org.dmalib.hw.internal.smmu.SmmuDevice;

/**
 * A simulated machine: RAM, CPUs with private write-back data caches, and DMA masters attached
 * on streams. The composition root of every dmalib program and test builds one:
 *
 * <pre>{@code
 * Machine machine = Machine.create(MachineConfig.of(64L << 20));
 * DmaPort port = machine.attach(7, Coherency.NON_COHERENT);  // give this to a device model
 * Cpu cpu = machine.cpu(0);                                   // software runs here
 * }</pre>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class Machine {
    private final MachineConfig config;
    private final PhysicalMemory memory;
    private final CoherenceFabric fabric;
    private final List<Cpu> cpus;
    private final HwStats stats = new HwStats();
    private final Map<Integer, DmaPort> streams = new ConcurrentHashMap<>();

    private Machine(MachineConfig config) {
        this.config = config;
        this.memory = new PhysicalMemory(config.memorySize());
        this.fabric = new CoherenceFabric(memory, config.cache(), config.cpus(), stats);
        CpuCore[] cores = new CpuCore[config.cpus()];
        for (int i = 0; i < cores.length; i++) {
            cores[i] = new CpuCore(i, fabric);
        }
        this.cpus = List.of(cores);
    }

    /**
     * Builds a machine with zeroed RAM, empty caches and no DMA masters.
     *
     * @param config what to build
     * @return the machine
     * @throws NullPointerException if {@code config} is null
     */
    public static Machine create(MachineConfig config) {
        return new Machine(Objects.requireNonNull(config, "config"));
    }

    /** {@return what this machine was built from} */
    public MachineConfig config() {
        return config;
    }

    /** {@return the RAM, as non-coherent DMA masters see it} */
    public PhysicalMemory memory() {
        return memory;
    }

    /** {@return the number of CPUs} */
    public int cpuCount() {
        return cpus.size();
    }

    /**
     * Returns CPU {@code index}.
     *
     * @param index from 0 to {@code cpuCount() - 1}
     * @return the CPU
     * @throws IndexOutOfBoundsException if there is no such CPU
     */
    public Cpu cpu(int index) {
        return cpus.get(index);
    }

    /**
     * Attaches a DMA master on stream {@code streamId} with no IOMMU in front of it: its bus
     * addresses are physical addresses.
     *
     * @param streamId the stream ID, not negative, not attached before
     * @param coherency how the stream is attached to the memory system
     * @return the master's port, for its device model
     * @throws IllegalArgumentException if {@code streamId} is negative or already attached
     * @throws NullPointerException if {@code coherency} is null
     */
    public DmaPort attach(int streamId, Coherency coherency) {
        Objects.requireNonNull(coherency, "coherency");
        return attachPort(streamId, coherency, Translation.IDENTITY);
    }

    /**
     * Adds an Arm SMMUv3 to the machine, in its reset state: disabled, so until its driver
     * enables it, streams behind it bypass translation (SMMU_GBPA resets to bypass).
     *
     * @param config what SMMU to build
     * @return the SMMU; its driver programs it through {@code org.dmalib.hw.smmu}
     * @throws NullPointerException if {@code config} is null
     */
    public Smmu addSmmu(SmmuConfig config) {
        return new SmmuDevice(Objects.requireNonNull(config, "config"), fabric);
    }

    /**
     * Attaches a DMA master on stream {@code streamId} behind {@code smmu}: every access is
     * translated (page by page, before any byte moves) by the SMMU's stream table entry for
     * {@code streamId}; an access that faults returns {@link DmaStatus#ABORT} and reaches no
     * memory.
     *
     * @param streamId the stream ID, not negative, not attached before (IDs outside the SMMU's
     *     stream table are accepted and fault with C_BAD_STREAMID, as on hardware)
     * @param coherency how the master's data accesses are attached to the memory system
     * @param smmu an SMMU of this machine
     * @return the master's port, for its device model
     * @throws IllegalArgumentException if {@code streamId} is negative or already attached, or
     *     {@code smmu} was not built by this machine (or not by the hardware model at all)
     * @throws NullPointerException if an argument is null
     */
    public DmaPort attach(int streamId, Coherency coherency, Smmu smmu) {
        Objects.requireNonNull(coherency, "coherency");
        Objects.requireNonNull(smmu, "smmu");
        if (!(smmu instanceof SmmuDevice device)) {
            throw new IllegalArgumentException("smmu=" + smmu
                    + " is not an SMMU of the hardware model (Machine.addSmmu builds one)");
        }
        if (!device.isOn(fabric)) {
            throw new IllegalArgumentException("smmu=" + smmu + " belongs to another machine");
        }
        return attachPort(streamId, coherency, device);
    }

    private DmaPort attachPort(int streamId, Coherency coherency, Translation translation) {
        if (streamId < 0) {
            throw new IllegalArgumentException("streamId=" + streamId + " must not be negative");
        }
        DmaPort port = new StreamPort(streamId, coherency, fabric, translation, stats);
        if (streams.putIfAbsent(streamId, port) != null) {
            throw new IllegalArgumentException("streamId=" + streamId + " is already attached");
        }
        return port;
    }

    /** {@return a snapshot of the event counters} */
    public HwCounters counters() {
        return fabric.counters();
    }

    /**
     * {@return how many cache write-backs have been issued by maintenance but not yet completed
     * (by the issuing CPU's barrier, or earlier as {@code org.dmalib.hw.cache} describes);
     * non-zero after a clean of a dirty line without its barrier}
     */
    public int writebacksInFlight() {
        return fabric.inFlightCount();
    }
}

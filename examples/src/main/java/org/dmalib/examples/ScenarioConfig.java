package org.dmalib.examples;

import java.util.Objects;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.hw.Coherency;

/**
 * What a ring-driver scenario ({@link NicScenario}, {@link BlockScenario}) runs. Start from
 * {@link #of} and change fields with the {@code with*} methods.
 *
 * <p>Immutable and thread-safe.
 *
 * @param operations NIC packets in each direction, or block requests: 1 to {@value #MAX_OPERATIONS}
 * @param mode direct, or behind an SMMUv3 strict or lazy
 * @param coherency how the device's stream is attached
 * @param mistake the one bug the driver makes, or {@link DriverMistake#CORRECT}
 * @param seed the seed of the random payloads, lengths and layouts: equal seeds, equal runs
 * @param debug what the device's DMA-API debug checks do with a report (default THROW)
 * @param ringEntries descriptors per ring (NIC: RX and TX each; block: requests), from
 *     {@value NicDriver#MIN_ENTRIES} to {@value NicDriver#MAX_ENTRIES}
 */
public record ScenarioConfig(int operations, IommuMode mode, Coherency coherency,
        DriverMistake mistake, long seed, int ringEntries, DebugMode debug) {
    /** The most operations one run takes: 10 million, minutes of work on one core. */
    public static final int MAX_OPERATIONS = 10_000_000;
    /** The default ring size: 256 descriptors, a common Linux NIC default. */
    public static final int DEFAULT_RING_ENTRIES = 256;
    /** The default seed. */
    public static final long DEFAULT_SEED = 1;

    /**
     * Validates the configuration.
     *
     * @param operations NIC packets in each direction, or block requests: 1 to
     *     {@value #MAX_OPERATIONS}
     * @param mode direct, or behind an SMMUv3 strict or lazy; not null
     * @param coherency how the device's stream is attached, not null
     * @param mistake the one bug the driver makes, or {@link DriverMistake#CORRECT}; not null
     * @param seed the seed of the random payloads, lengths and layouts (any value)
     * @param ringEntries descriptors per ring, from {@value NicDriver#MIN_ENTRIES} to
     *     {@value NicDriver#MAX_ENTRIES}
     * @param debug what the device's DMA-API debug checks do with a report, not null
     * @throws IllegalArgumentException naming the bad value
     * @throws NullPointerException if an enum is null
     */
    public ScenarioConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(coherency, "coherency");
        Objects.requireNonNull(mistake, "mistake");
        Objects.requireNonNull(debug, "debug");
        if (operations < 1 || operations > MAX_OPERATIONS) {
            throw new IllegalArgumentException(
                    "operations=" + operations + " must be from 1 to " + MAX_OPERATIONS);
        }
        if (ringEntries < NicDriver.MIN_ENTRIES || ringEntries > NicDriver.MAX_ENTRIES) {
            throw new IllegalArgumentException("ringEntries=" + ringEntries + " must be from "
                    + NicDriver.MIN_ENTRIES + " to " + NicDriver.MAX_ENTRIES);
        }
    }

    /**
     * Returns {@code operations} in {@code mode} on a non-coherent stream, correct driver,
     * the default seed and ring size.
     *
     * @param operations as for the record component
     * @param mode as for the record component
     * @return the configuration
     * @throws IllegalArgumentException naming the bad value
     */
    public static ScenarioConfig of(int operations, IommuMode mode) {
        return new ScenarioConfig(operations, mode, Coherency.NON_COHERENT, DriverMistake.CORRECT,
                DEFAULT_SEED, DEFAULT_RING_ENTRIES, DebugMode.THROW);
    }

    /**
     * Returns this configuration with another stream attachment.
     *
     * @param c coherent or not
     * @return the new configuration
     * @throws NullPointerException if {@code c} is null
     */
    public ScenarioConfig withCoherency(Coherency c) {
        return new ScenarioConfig(operations, mode, c, mistake, seed, ringEntries, debug);
    }

    /**
     * Returns this configuration with another driver mistake.
     *
     * @param m the mistake
     * @return the new configuration
     * @throws NullPointerException if {@code m} is null
     */
    public ScenarioConfig withMistake(DriverMistake m) {
        return new ScenarioConfig(operations, mode, coherency, m, seed, ringEntries, debug);
    }

    /**
     * Returns this configuration with another seed.
     *
     * @param s the seed
     * @return the new configuration
     */
    public ScenarioConfig withSeed(long s) {
        return new ScenarioConfig(operations, mode, coherency, mistake, s, ringEntries, debug);
    }

    /**
     * Returns this configuration with another DMA-API debug mode for the device.
     *
     * @param d THROW (the default: a mistake stops the run with its report), WARN (the run goes
     *     on and the reports are counted) or OFF
     * @return the new configuration
     * @throws NullPointerException if {@code d} is null
     */
    public ScenarioConfig withDebug(DebugMode d) {
        return new ScenarioConfig(operations, mode, coherency, mistake, seed, ringEntries, d);
    }

    /**
     * Returns this configuration with another ring size.
     *
     * @param entries as for the record component
     * @return the new configuration
     * @throws IllegalArgumentException naming the bad value
     */
    public ScenarioConfig withRingEntries(int entries) {
        return new ScenarioConfig(operations, mode, coherency, mistake, seed, entries, debug);
    }
}

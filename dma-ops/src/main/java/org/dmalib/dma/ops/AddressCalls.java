package org.dmalib.dma.ops;

import java.util.List;
import org.dmalib.hw.Cpu;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;

/**
 * {@link DmaDevice}'s address-based calls, for drivers that keep only what the map returned:
 * each finds the mapping as dma-debug does and checks what the driver passed against it
 * ({@code check_unmap}, {@code check_sync}) before acting. The CPU, direction and count are
 * checked first, as the {@link DmaDevice} call documents.
 *
 * <p>Thread-safety: safe for concurrent use; it holds no state of its own. Each lookup takes
 * the device's lock ({@link DeviceState}) for itself only; the checks, the unmap or sync it
 * leads to and the reports run outside it. An unmap whose mapping another unmap claims between
 * its lookup and its own claim looks again (dma-debug finds and removes the entry under one
 * bucket lock: two unmaps of two mappings at one address unmap one each).
 */
final class AddressCalls {
    private final DeviceDebug debug;
    private final DeviceState state;
    private final DeviceChecks checks;

    AddressCalls(DeviceDebug debug, DeviceState state, DeviceChecks checks) {
        this.debug = debug;
        this.state = state;
        this.checks = checks;
    }

    /** {@code dma_mapping_error}: records that the driver tested a {@code mapPage} result. */
    boolean mappingError(long dmaAddress) {
        if (dmaAddress == DmaDevice.DMA_MAPPING_ERROR) {
            return true;
        }
        state.markErrorChecked(dmaAddress);
        return false;
    }

    /** {@code dma_unmap_single/page} by address ({@link DmaDevice#unmapSingle}). */
    void unmapSingle(Cpu cpu, long dmaAddress, long size, DmaDirection dir) {
        checks.checkCpu(cpu);
        Checks.mappable(dir);
        // a negative size would be unmap()'s "any size" and skip the size check
        Checks.notNegative(size, "size");
        unmap(cpu, dmaAddress, size, MappingKind.SINGLE, dir, 1);
    }

    /** {@code dma_unmap_sg} by the list's first DMA address ({@link DmaDevice#unmapSg}). */
    void unmapSg(Cpu cpu, long dmaAddress, int nents, DmaDirection dir) {
        checks.checkCpu(cpu);
        Checks.mappable(dir);
        Checks.positive(nents, "nents");
        unmap(cpu, dmaAddress, -1, MappingKind.SCATTER_GATHER, dir, nents);
    }

    /**
     * {@code dma_unmap_single/page/sg} by address; {@code size < 0} matches any size (a list's
     * unmap passes none).
     */
    private void unmap(Cpu cpu, long dmaAddress, long size, MappingKind kind, DmaDirection dir,
            int nents) {
        // an unmap racing with ours may claim the mapping found between the lookup and our
        // claim; it is unregistered then, so the next lookup finds another one (or none: the
        // driver's double unmap, refused by find)
        boolean unmapped;
        do {
            unmapped = unmapFound(cpu, dmaAddress, size, kind, dir, nents);
        } while (!unmapped);
    }

    /**
     * One lookup, its checks and the claim: whether the mapping found was unmapped by this call.
     * In THROW mode the checks come first (a report throws and nothing is changed); otherwise the
     * claim does, so that of two racing unmaps only the one that unmaps the mapping reports on it.
     */
    private boolean unmapFound(Cpu cpu, long dmaAddress, long size, MappingKind kind, DmaDirection dir,
            int nents) {
        Tracked t = find(dmaAddress, size, kind, dir, nents);
        if (!(t instanceof DmaMapping m)) {
            throw debug.refuse(DebugCheck.FREE_WRONG_FUNCTION, t,
                    wrongFunction(dmaAddress, t.describe().size(), t.kind(), kind));
        }
        boolean throwing = debug.mode() == DebugMode.THROW;
        if (!throwing && !m.claim()) {
            return false;
        }
        if (size >= 0 && m.size() != size) {
            debug.report(DebugCheck.FREE_DIFFERENT_SIZE, m,
                    differentSize(dmaAddress, m.size(), size));
        }
        if (m.kind() != kind) {
            debug.report(DebugCheck.FREE_WRONG_FUNCTION, m,
                    wrongFunction(dmaAddress, m.size(), m.kind(), kind));
        }
        if (kind == MappingKind.SCATTER_GATHER && m.inputCount() != nents) {
            debug.report(DebugCheck.UNMAP_SG_DIFFERENT_ENTRY_COUNT, m, String.format(
                    "[device address=0x%x] [map count=%d] [unmap count=%d]",
                    dmaAddress, m.inputCount(), nents));
        }
        if (m.direction() != dir) {
            debug.report(DebugCheck.FREE_DIFFERENT_DIRECTION, m, String.format(
                    "[device address=0x%x] [size=%d bytes] [mapped with dir=%s] [unmapped with dir=%s]",
                    dmaAddress, m.size(), m.direction(), dir));
        }
        m.checkErrorChecked();
        if (throwing && !m.claim()) {
            return false;
        }
        m.release(cpu, dir);
        return true;
    }

    /** The report line of a mapping freed with the wrong function, as dma-debug words it. */
    private static String wrongFunction(long dmaAddress, long size, MappingKind mapped,
            MappingKind unmapped) {
        return String.format(
                "[device address=0x%x] [size=%d bytes] [mapped as %s] [unmapped as %s]",
                dmaAddress, size, mapped, unmapped);
    }

    /** The report line of a mapping freed with another size than it was mapped with. */
    private static String differentSize(long dmaAddress, long mapSize, long unmapSize) {
        return String.format("[device address=0x%x] [map size=%d bytes] [unmap size=%d bytes]",
                dmaAddress, mapSize, unmapSize);
    }

    /** {@code dma_free_coherent} by address. */
    void freeCoherent(long size, long cpuAddress, long dmaAddress) {
        // a negative size would be find()'s "any size" and then a size mismatch; it is no size
        Checks.notNegative(size, "size");
        Tracked t = find(dmaAddress, size, MappingKind.COHERENT, DmaDirection.BIDIRECTIONAL, 1);
        if (!(t instanceof CoherentBuffer b)) {
            throw debug.refuse(DebugCheck.FREE_WRONG_FUNCTION, t,
                    wrongFunction(dmaAddress, t.describe().size(), t.kind(), MappingKind.COHERENT));
        }
        if (b.size() != size) {
            debug.report(DebugCheck.FREE_DIFFERENT_SIZE, b,
                    differentSize(dmaAddress, b.size(), size));
        }
        if (b.cpuAddress() != cpuAddress) {
            debug.report(DebugCheck.FREE_COHERENT_DIFFERENT_CPU_ADDRESS, b, String.format(
                    "[device address=0x%x] [size=%d bytes] [cpu alloc address=0x%x] [cpu free address=0x%x]",
                    dmaAddress, b.size(), b.cpuAddress(), cpuAddress));
        }
        b.free();
    }

    /** {@code dma_sync_single_for_cpu/device} by address. */
    void syncSingle(Cpu cpu, long dmaAddress, long size, DmaDirection dir, boolean toCpu) {
        checks.checkCpu(cpu);
        Checks.mappable(dir);
        Checks.positive(size, "size");
        Tracked t = containing(dmaAddress, size);
        // the byte offset of dmaAddress in the mapping, counted across its DMA segments
        long offset = 0;
        long room = 0;
        for (DmaSegment s : dmaSegments(t)) {
            long in = dmaAddress - s.dmaAddress();
            if (in >= 0 && in < s.dmaLength()) {
                offset += in;
                room = s.dmaLength() - in;
                break;
            }
            offset += s.dmaLength();
        }
        if (size > room) {
            throw debug.refuse(DebugCheck.SYNC_OUTSIDE_RANGE, t, String.format(
                    "[device address=0x%x] [sync size=%d bytes] [bytes left in the DMA segment=%d]",
                    dmaAddress, size, room));
        }
        checkSyncDirection(t, dmaAddress, size, dir, toCpu);
        sync(t, cpu, offset, size, dir, toCpu);
    }

    /** {@code dma_sync_sg_for_cpu/device} by the list's first DMA address. */
    void syncSg(Cpu cpu, long dmaAddress, int nents, DmaDirection dir, boolean toCpu) {
        checks.checkCpu(cpu);
        Checks.mappable(dir);
        Checks.positive(nents, "nents");
        Tracked t = containing(dmaAddress, -1);
        if (t.inputCount() != nents) {
            debug.report(DebugCheck.SYNC_SG_DIFFERENT_ENTRY_COUNT, t, String.format(
                    "[device address=0x%x] [map count=%d] [sync count=%d]",
                    dmaAddress, t.inputCount(), nents));
        }
        long size = t.describe().size();
        checkSyncDirection(t, dmaAddress, size, dir, toCpu);
        sync(t, cpu, 0, size, dir, toCpu);
    }

    /** {@code check_sync}'s direction rules; a BIDIRECTIONAL mapping may be synced any way. */
    private void checkSyncDirection(Tracked t, long dmaAddress, long size, DmaDirection dir,
            boolean toCpu) {
        DmaDirection mapped = t.direction();
        if (mapped == DmaDirection.BIDIRECTIONAL) {
            return;
        }
        String values = String.format("[device address=0x%x] [size=%d bytes] [mapped with dir=%s]"
                + " [synced with dir=%s]", dmaAddress, size, mapped, dir);
        if (dir != mapped) {
            debug.report(DebugCheck.SYNC_DIFFERENT_DIRECTION, t, values);
        }
        if (toCpu && mapped != DmaDirection.FROM_DEVICE && dir != DmaDirection.TO_DEVICE) {
            debug.report(DebugCheck.SYNC_DEVICE_READ_ONLY_FOR_CPU, t, values);
        }
        if (!toCpu && mapped != DmaDirection.TO_DEVICE && dir != DmaDirection.FROM_DEVICE) {
            debug.report(DebugCheck.SYNC_DEVICE_WRITE_ONLY_TO_DEVICE, t, values);
        }
    }

    private static void sync(Tracked t, Cpu cpu, long offset, long size, DmaDirection dir,
            boolean toCpu) {
        // a coherent allocation needs no sync: checked, then nothing to do
        if (t instanceof DmaMapping m) {
            if (toCpu) {
                m.syncForCpuAs(cpu, offset, size, dir);
            } else {
                m.syncForDeviceAs(cpu, offset, size, dir);
            }
        }
    }

    private Tracked find(long dmaAddress, long size, MappingKind kind, DmaDirection dir, int nents) {
        if (dmaAddress == DmaDevice.DMA_MAPPING_ERROR) {
            throw debug.refuse(DebugCheck.FREE_INVALID_ADDRESS, null, String.format(
                    "[device address=0x%x] [size=%d bytes] (the map's error value)", dmaAddress, size));
        }
        Tracked t = state.bestFit(dmaAddress, size, kind, dir, nents);
        if (t == null) {
            throw debug.refuse(DebugCheck.FREE_NOT_ALLOCATED, null, String.format(
                    "[device address=0x%x] [size=%d bytes] (dmaAddress=0x%x: no %s mapping of that size"
                            + " and direction; never mapped, or unmapped already)",
                    dmaAddress, size, dmaAddress, kind));
        }
        return t;
    }

    private Tracked containing(long dmaAddress, long size) {
        Tracked t = state.containing(dmaAddress);
        if (t == null) {
            throw debug.refuse(DebugCheck.SYNC_NOT_ALLOCATED, null, String.format(
                    "[device address=0x%x] [size=%d bytes] (dmaAddress=0x%x is in no live mapping)",
                    dmaAddress, size, dmaAddress));
        }
        return t;
    }

    private static List<DmaSegment> dmaSegments(Tracked t) {
        if (t instanceof DmaMapping m) {
            return m.dmaSegments();
        }
        return List.of(new DmaSegment(t.dmaAddress(), t.describe().size()));
    }
}

package org.dmalib.dma.ops;

import java.util.List;
import java.util.function.Supplier;
import org.dmalib.iommu.api.DmaDirection;

/**
 * One {@link DmaDevice}'s registry of live mappings and coherent allocations ({@link
 * MappingRegistry}) and whether it is detached, behind the device's one lock: what mapping,
 * unmapping and detaching are serialized on.
 *
 * <p>Thread-safety: safe for concurrent use; {@code lock} guards the registry and the detached
 * flag. The actions given to {@link #whileAttached} and {@link #addWhileAttached} run under it
 * (the coherent page allocation, the direct path's bounce reservations); the callers' cache
 * maintenance, copies and IOMMU work run outside it.
 */
final class DeviceState {
    private final PageAllocator memory;
    private final int streamId;
    private final Object lock = new Object();
    // guarded by lock
    private final MappingRegistry registry = new MappingRegistry();
    // guarded by lock
    private boolean detached;

    DeviceState(PageAllocator memory, int streamId) {
        this.memory = memory;
        this.streamId = streamId;
    }

    /** Throws {@link #detachedError()} if the device is detached. */
    void checkAttached() {
        synchronized (lock) {
            checkAttachedLocked();
        }
    }

    /** Under the lock: throws if the device is detached, else returns what {@code action} makes. */
    <T> T whileAttached(Supplier<T> action) {
        synchronized (lock) {
            checkAttachedLocked();
            return action.get();
        }
    }

    /**
     * Under the lock: throws if the device is detached, else registers the mapping {@code make}
     * returns, its bytes owned by the device. Nothing is registered when {@code make} throws.
     */
    DmaMapping addWhileAttached(Supplier<DmaMapping> make) {
        synchronized (lock) {
            checkAttachedLocked();
            DmaMapping mapping = make.get();
            track(mapping);
            return mapping;
        }
    }

    /**
     * Registers a mapping made outside the lock, unless the device was detached meanwhile.
     *
     * @return whether it was registered (if not, the caller undoes it)
     */
    boolean addIfAttached(DmaMapping mapping) {
        synchronized (lock) {
            if (!detached) {
                track(mapping);
                return true;
            }
        }
        return false;
    }

    /**
     * Registers a coherent allocation made outside the lock, its pages marked coherent, unless
     * the device was detached meanwhile.
     *
     * @return whether it was registered (if not, the caller undoes it)
     */
    boolean addIfAttached(CoherentBuffer buffer) {
        synchronized (lock) {
            if (!detached) {
                memory.setCoherent(buffer.pages(), true);
                registry.add(buffer);
                return true;
            }
        }
        return false;
    }

    /** The error of a call on a detached device. */
    DmaUsageException detachedError() {
        return new DmaUsageException("device streamId=" + streamId + " is detached");
    }

    /** Marks the oldest mapping at {@code dmaAddress} whose map result is unchecked as checked. */
    void markErrorChecked(long dmaAddress) {
        synchronized (lock) {
            for (Tracked t : registry.at(dmaAddress)) {
                if (t instanceof DmaMapping m && m.errorUnchecked()) {
                    m.markErrorChecked();
                    break;
                }
            }
        }
    }

    /** Every mapping and coherent allocation still pending, in the order made. */
    List<PendingMapping> pending() {
        synchronized (lock) {
            return registry.pending();
        }
    }

    boolean isDetached() {
        synchronized (lock) {
            return detached;
        }
    }

    /**
     * Marks the device detached.
     *
     * @return everything still registered, in the order made
     * @throws DmaUsageException if it was detached already
     */
    List<Tracked> detach() {
        synchronized (lock) {
            checkAttachedLocked();
            detached = true;
            return registry.all();
        }
    }

    /**
     * Claims {@code mapping}'s one unmap and unregisters it in the same step: of racing unmaps
     * exactly one is told {@code true}, and no lookup of the registry sees the mapping once
     * {@link DmaMapping#isMapped()} is false (a by-address unmap, a sync or detach would take an
     * unmapping mapping for a live one, and its DMA address may already be handed out again).
     *
     * @return whether this call claimed it; {@code false} if it was claimed already
     */
    boolean claimUnmap(DmaMapping mapping) {
        synchronized (lock) {
            // the flag's flip and the removal under one lock: lookups (all under it) see both or neither
            if (!mapping.markUnmapped()) {
                return false;
            }
            registry.remove(mapping);
            return true;
        }
    }

    /** Unregisters {@code t}; a coherent allocation's pages stop being coherent. */
    void remove(Tracked t) {
        synchronized (lock) {
            registry.remove(t);
        }
        if (t instanceof CoherentBuffer b) {
            // the pages go back to the allocator right after; until then they are no buffer
            memory.setCoherent(b.pages(), false);
        }
    }

    /** The registry's best fit for an unmap ({@link MappingRegistry#bestFit}). */
    Tracked bestFit(long dmaAddress, long size, MappingKind kind, DmaDirection dir, int nents) {
        synchronized (lock) {
            return registry.bestFit(dmaAddress, size, kind, dir, nents);
        }
    }

    /** The registry's entry holding {@code dmaAddress}, for a sync ({@link MappingRegistry#containing}). */
    Tracked containing(long dmaAddress) {
        synchronized (lock) {
            return registry.containing(dmaAddress);
        }
    }

    /** Registers a new mapping, its bytes owned by the device; under the lock. */
    private void track(DmaMapping mapping) {
        registry.add(mapping);
        if (mapping.ownership() != null) {
            memory.debug().register(mapping.ownership());
        }
    }

    // under the lock
    private void checkAttachedLocked() {
        if (detached) {
            throw detachedError();
        }
    }
}

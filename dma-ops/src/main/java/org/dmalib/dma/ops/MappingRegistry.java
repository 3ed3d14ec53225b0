package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.dmalib.iommu.api.DmaDirection;

/**
 * A device's live mappings and coherent allocations (dma-debug's hash of entries), in mapping
 * order and indexed by first DMA address, with Linux's lookups: the best fit for an unmap
 * ({@code bucket_find_exact}) and the containing entry for a sync ({@code bucket_find_contain}).
 *
 * <p>Not thread-safe: {@link DeviceState} guards it with the device's lock.
 */
final class MappingRegistry {
    // identity set (handles do not override equals), in mapping order
    private final Set<Tracked> live = new LinkedHashSet<>();
    // one entry at an address (the usual case) is an immutable List.of(t); a second one there
    // turns it into an ArrayList, which stays one until the address is empty
    private final TreeMap<Long, List<Tracked>> byAddress = new TreeMap<>();
    // the entries whose DMA segments reach below their first address (a direct list mapped in
    // no ascending order), by lowest DMA address, for containing lookups only; usually empty
    private final TreeMap<Long, List<Tracked>> byLowest = new TreeMap<>();
    // how far above its first DMA address any entry ever registered reaches: how far back a
    // containing lookup in byAddress must look
    private long maxReach;
    // the largest DMA extent ever registered in byLowest
    private long maxLoweredExtent;

    void add(Tracked t) {
        live.add(t);
        put(byAddress, t.dmaAddress(), t);
        long low = t.dmaLow();
        maxReach = Math.max(maxReach, low + t.dmaExtent() - t.dmaAddress());
        if (low != t.dmaAddress()) {
            put(byLowest, low, t);
            maxLoweredExtent = Math.max(maxLoweredExtent, t.dmaExtent());
        }
    }

    private static void put(Map<Long, List<Tracked>> index, long address, Tracked t) {
        index.merge(address, List.of(t), MappingRegistry::appended);
    }

    /** The entries at an address with {@code one} (a one-entry list) added last. */
    private static List<Tracked> appended(List<Tracked> at, List<Tracked> one) {
        List<Tracked> out = at instanceof ArrayList<Tracked> growing ? growing : new ArrayList<>(at);
        out.addAll(one);
        return out;
    }

    /** Removes {@code t}, if it is registered. */
    void remove(Tracked t) {
        if (!live.remove(t)) {
            return;
        }
        take(byAddress, t.dmaAddress(), t);
        long low = t.dmaLow();
        if (low != t.dmaAddress()) {
            take(byLowest, low, t);
        }
    }

    /** Removes {@code t}, which is indexed at {@code address}. */
    private static void take(Map<Long, List<Tracked>> index, long address, Tracked t) {
        List<Tracked> at = index.get(address);
        if (at.size() == 1) {
            index.remove(address); // t is indexed there, so it is the one entry
        } else {
            at.remove(t);
        }
    }

    boolean isEmpty() {
        return live.isEmpty();
    }

    List<PendingMapping> pending() {
        List<PendingMapping> out = new ArrayList<>(live.size());
        for (Tracked t : live) {
            out.add(t.describe());
        }
        return List.copyOf(out);
    }

    List<Tracked> all() {
        return List.copyOf(live);
    }

    /** Returns the entries whose first DMA address is {@code dmaAddress}, oldest first. */
    List<Tracked> at(long dmaAddress) {
        List<Tracked> at = byAddress.get(dmaAddress);
        return at == null ? List.of() : List.copyOf(at);
    }

    /**
     * {@code bucket_find_exact}: among the entries at {@code dmaAddress}, one that agrees on
     * size, kind, direction and entry count wins; otherwise the best-scoring one if it is the
     * only entry there; otherwise none (null). A negative {@code size} agrees with any.
     */
    Tracked bestFit(long dmaAddress, long size, MappingKind kind, DmaDirection dir, int nents) {
        List<Tracked> at = byAddress.get(dmaAddress);
        if (at == null) {
            return null;
        }
        Tracked best = null;
        int bestScore = -1;
        for (Tracked t : at) {
            int score = (size < 0 || t.describe().size() == size ? 1 : 0) + (t.kind() == kind ? 1 : 0)
                    + (t.direction() == dir ? 1 : 0) + (t.inputCount() == nents ? 1 : 0);
            // 4: every field agrees
            if (score == 4) {
                return t;
            }
            if (score > bestScore) {
                bestScore = score;
                best = t;
            }
        }
        return at.size() == 1 ? best : null;
    }

    /**
     * {@code bucket_find_contain}: an entry whose DMA segments hold {@code dmaAddress}, the
     * newest of those starting nearest below it, or null.
     */
    Tracked containing(long dmaAddress) {
        Tracked found = containing(byAddress, dmaAddress, maxReach);
        return found != null ? found : containing(byLowest, dmaAddress, maxLoweredExtent);
    }

    private static Tracked containing(NavigableMap<Long, List<Tracked>> index, long dmaAddress, long reach) {
        for (Map.Entry<Long, List<Tracked>> e : index.headMap(dmaAddress, true).descendingMap().entrySet()) {
            if (dmaAddress - e.getKey() >= reach) {
                // entries further down start too low to reach dmaAddress
                break;
            }
            List<Tracked> at = e.getValue();
            for (int i = at.size() - 1; i >= 0; i--) {
                if (at.get(i).contains(dmaAddress)) {
                    return at.get(i);
                }
            }
        }
        return null;
    }
}

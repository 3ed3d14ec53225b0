package org.dmalib.dma.ops;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The machine-wide half of DMA-API debugging, kept by the {@link PageAllocator} because it
 * spans devices: the active cache lines of device-writable mappings (dma-debug's radix tree
 * keyed by cache line number, {@code active_cacheline_insert}) and the ownership of every
 * streaming mapping's bytes, which {@link CpuBuffer} accesses are checked against.
 *
 * <p>Thread-safety: safe for concurrent use; every method is serialized on this object.
 */
final class DebugState {
    /**
     * How many overlapping mappings of one cache line are counted before the count overflows:
     * dma-debug counts them in radix-tree tags, {@code (1 << RADIX_TREE_MAX_TAGS) - 1} with
     * three tags.
     */
    static final int MAX_OVERLAPS = 7;

    /** The {@code overflow} of an {@link Inserted} where no line's overflow is to be reported. */
    static final long NO_LINE = -1;

    private final int lineShift;
    // guarded by this: cache line number -> active device-writable mappings starting in it
    private final Map<Long, Integer> lines = new HashMap<>();
    // guarded by this: WARN_ONCE for the overflow
    private boolean overflowReported;
    // guarded by this: first byte of a driver range -> the mappings holding a range there
    private final TreeMap<Long, List<Ownership>> owned = new TreeMap<>();
    // guarded by this: the longest registered range, how far back an access lookup looks
    private long longestPiece;

    /**
     * Creates the state.
     *
     * @param lineSize the CPU's cache line size, a power of two
     */
    DebugState(int lineSize) {
        this.lineShift = Integer.numberOfTrailingZeros(lineSize);
    }

    /** Returns the cache line number of {@code paddr}. */
    long line(long paddr) {
        return paddr >>> lineShift;
    }

    /**
     * Counts one active mapping starting in each of {@code starts} and, in the same critical
     * section ({@code active_cacheline_insert} and {@code active_cacheline_inc_overlap} under
     * {@code radix_lock}), decides what to report: the lines where another mapping was active
     * already, and the line whose overlap count these inserts took past {@link #MAX_OVERLAPS}.
     * A later {@link #removeLines} cannot take that decision back.
     *
     * @param starts the start line of each range of one mapping, in order (a line may repeat)
     * @return the overlaps and the overflowing line, if any
     */
    synchronized Inserted insertLines(List<Long> starts) {
        List<Long> overlaps = new ArrayList<>(0);
        for (Long l : starts) {
            int before = lines.merge(l, 1, Integer::sum) - 1;
            if (before > 0) {
                overlaps.add(l);
            }
        }
        long overflow = NO_LINE;
        if (!overflowReported) {
            // counted after every insert of the mapping, the first line in order that passed
            for (Long l : starts) {
                if (lines.get(l) - 1 > MAX_OVERLAPS) {
                    overflow = l;
                    break;
                }
            }
        }
        return new Inserted(overlaps, overflow);
    }

    /**
     * Returns whether the one-time overflow report is still to be made (then it counts as made:
     * {@code WARN_ONCE}). Called only by a map that is about to make it, so a map whose overlap
     * report threw first leaves it to the next map that passes the limit.
     */
    synchronized boolean overflowOnce() {
        if (overflowReported) {
            return false;
        }
        overflowReported = true;
        return true;
    }

    /** Undoes {@link #insertLines} for {@code starts}. */
    synchronized void removeLines(List<Long> starts) {
        for (Long l : starts) {
            lines.computeIfPresent(l, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    /** Registers a mapping's ranges, all owned by the device. */
    synchronized void register(Ownership o) {
        for (int i = 0; i < o.pieces.length; i += 2) {
            owned.computeIfAbsent(o.pieces[i], k -> new ArrayList<>(1)).add(o);
            longestPiece = Math.max(longestPiece, o.pieces[i + 1]);
        }
    }

    /** Removes a mapping's ranges (unmap). */
    synchronized void unregister(Ownership o) {
        for (int i = 0; i < o.pieces.length; i += 2) {
            List<Ownership> at = owned.get(o.pieces[i]);
            if (at != null) {
                at.remove(o);
                if (at.isEmpty()) {
                    owned.remove(o.pieces[i]);
                }
            }
        }
    }

    /** Gives bytes {@code [offset, offset + length)} of the mapping to the CPU. */
    synchronized void giveToCpu(Ownership o, long offset, long length) {
        o.cpu.add(offset, offset + length);
    }

    /** Gives bytes {@code [offset, offset + length)} of the mapping to the device. */
    synchronized void giveToDevice(Ownership o, long offset, long length) {
        o.cpu.remove(offset, offset + length);
    }

    /**
     * Returns, for each mapping that gives any byte of {@code [paddr, paddr + length)} to the
     * device, the mapping and the first such byte.
     */
    synchronized List<Violation> deviceOwned(long paddr, long length) {
        if (owned.isEmpty()) {
            return List.of();
        }
        List<Violation> out = new ArrayList<>(0);
        long from = Math.max(0, paddr - longestPiece + 1);
        for (List<Ownership> at : owned.subMap(from, true, paddr + length, false).values()) {
            for (Ownership o : at) {
                long first = o.firstDeviceByte(paddr, length);
                if (first >= 0 && out.stream().noneMatch(v -> v.mapping() == o.mapping)) {
                    out.add(new Violation(o.mapping, first));
                }
            }
        }
        return out;
    }

    /**
     * What one {@link #insertLines} call decided.
     *
     * @param overlaps the lines where another mapping was active already, once per occurrence,
     *     in order
     * @param overflow the first line, in order, whose overlap count passed {@link #MAX_OVERLAPS},
     *     or {@link #NO_LINE} if none did or the overflow was reported already
     */
    record Inserted(List<Long> overlaps, long overflow) {}

    /**
     * A mapping that owns bytes the CPU touched.
     *
     * @param mapping the mapping
     * @param paddr the first such byte
     */
    record Violation(DmaMapping mapping, long paddr) {}
}

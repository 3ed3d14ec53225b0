package org.dmalib.dma.ops;

import java.util.Arrays;

/**
 * A set of disjoint half-open ranges {@code [from, to)} of non-negative longs, kept sorted and
 * merged: which bytes of a mapping the CPU owns. Small by design (a full sync makes it one
 * range), so operations copy arrays.
 *
 * <p>Not thread-safe: the owner guards it.
 */
final class Intervals {
    // pairs from0, to0, from1, to1, ... sorted, disjoint and not adjacent
    private long[] bounds = new long[0];

    /** Adds {@code [from, to)}; {@code from < to}. */
    void add(long from, long to) {
        long[] out = new long[bounds.length + 2];
        int n = 0;
        int i = 0;
        while (i < bounds.length && bounds[i + 1] < from) {
            out[n++] = bounds[i];
            out[n++] = bounds[i + 1];
            i += 2;
        }
        long lo = from;
        long hi = to;
        while (i < bounds.length && bounds[i] <= hi) {
            lo = Math.min(lo, bounds[i]);
            hi = Math.max(hi, bounds[i + 1]);
            i += 2;
        }
        out[n++] = lo;
        out[n++] = hi;
        while (i < bounds.length) {
            out[n++] = bounds[i++];
        }
        bounds = Arrays.copyOf(out, n);
    }

    /** Removes {@code [from, to)}; {@code from < to}. */
    void remove(long from, long to) {
        long[] out = new long[bounds.length + 2];
        int n = 0;
        for (int i = 0; i < bounds.length; i += 2) {
            long lo = bounds[i];
            long hi = bounds[i + 1];
            if (hi <= from || lo >= to) {
                out[n++] = lo;
                out[n++] = hi;
                continue;
            }
            if (lo < from) {
                out[n++] = lo;
                out[n++] = from;
            }
            if (hi > to) {
                out[n++] = to;
                out[n++] = hi;
            }
        }
        bounds = Arrays.copyOf(out, n);
    }

    /** Returns the first byte of {@code [from, to)} not in the set, or -1 if it is covered. */
    long firstGap(long from, long to) {
        long pos = from;
        for (int i = 0; i < bounds.length && pos < to; i += 2) {
            if (bounds[i] > pos) {
                return pos;
            }
            pos = Math.max(pos, bounds[i + 1]);
        }
        return pos < to ? pos : -1;
    }

    /** Returns whether the set is empty. */
    boolean isEmpty() {
        return bounds.length == 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < bounds.length; i += 2) {
            sb.append(i == 0 ? "" : ", ").append('[').append(bounds[i]).append(", ")
                    .append(bounds[i + 1]).append(')');
        }
        return sb.append(']').toString();
    }
}

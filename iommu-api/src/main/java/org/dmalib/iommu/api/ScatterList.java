package org.dmalib.iommu.api;

import java.util.List;
import java.util.Objects;

/**
 * The input side of a scatter-gather transfer: an ordered, immutable list of CPU-side
 * {@link Segment}s ({@code nents} of them). Mapping it yields {@link DmaSegment}s, possibly
 * fewer than the input segments (entries are coalesced), which the mapping call returns.
 *
 * <p>Immutable and thread-safe.
 */
public final class ScatterList {
    private final List<Segment> segments;
    private final long totalLength;

    private ScatterList(List<Segment> segments) {
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("a scatterlist needs at least one segment");
        }
        long total = 0;
        for (Segment s : segments) {
            total = Math.addExact(total, s.length());
        }
        this.segments = segments;
        this.totalLength = total;
    }

    /**
     * Returns a list of the given segments, in order.
     *
     * @param segments at least one, none null
     * @return the list
     * @throws IllegalArgumentException if there are no segments
     * @throws NullPointerException if the array or an element is null
     */
    public static ScatterList of(Segment... segments) {
        return new ScatterList(List.of(segments));
    }

    /**
     * Returns a list of the given segments, in order.
     *
     * @param segments at least one, none null
     * @return the list
     * @throws IllegalArgumentException if there are no segments
     * @throws NullPointerException if the list or an element is null
     */
    public static ScatterList of(List<Segment> segments) {
        return new ScatterList(List.copyOf(Objects.requireNonNull(segments, "segments")));
    }

    /** {@return the number of input segments ({@code nents})} */
    public int size() {
        return segments.size();
    }

    /**
     * Returns input segment {@code index}.
     *
     * @param index from 0 to {@code size() - 1}
     * @return the segment
     * @throws IndexOutOfBoundsException if there is no such segment
     */
    public Segment segment(int index) {
        return segments.get(index);
    }

    /** {@return the segments, in order, as an unmodifiable list} */
    public List<Segment> segments() {
        return segments;
    }

    /** {@return the sum of the segments' lengths} */
    public long totalLength() {
        return totalLength;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScatterList other && segments.equals(other.segments);
    }

    @Override
    public int hashCode() {
        return segments.hashCode();
    }

    @Override
    public String toString() {
        return "ScatterList" + segments;
    }
}

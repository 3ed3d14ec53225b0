package org.dmalib.dma.ops.internal.direct;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;

/**
 * The chunks of one mapping, in order, read by index: either {@link Chunk} records, or a view of
 * a driver's {@link ScatterList} whose segment {@code i} is the unbounced chunk {@code i} (its
 * physical address and length), so that mapping a list of {@code nents} segments makes no
 * record per segment. Both forms answer every question alike: {@link #get} of a view is the
 * record {@code new Chunk(paddr, NOT_BOUNCED, length)} of its segment.
 *
 * <p>Preconditions of the accessors: {@code 0 <= i < count()} (else
 * {@link IndexOutOfBoundsException}).
 *
 * <p>Immutable (the records are copied, the scatterlist is immutable); thread-safe.
 */
public final class Chunks {
    // exactly one of the two is set
    private final List<Chunk> records;
    private final ScatterList list;

    private Chunks(List<Chunk> records, ScatterList list) {
        this.records = records;
        this.list = list;
    }

    /**
     * Returns the chunks of {@code chunks}, copied.
     *
     * @param chunks the chunks, in order, none null
     * @return them
     * @throws NullPointerException if the list or an element is null
     */
    public static Chunks of(List<Chunk> chunks) {
        return new Chunks(List.copyOf(chunks), null);
    }

    /**
     * Returns the one chunk {@code chunk}.
     *
     * @param chunk the chunk
     * @return it, alone
     * @throws NullPointerException if {@code chunk} is null
     */
    public static Chunks of(Chunk chunk) {
        return new Chunks(List.of(chunk), null);
    }

    /**
     * Returns a view of {@code list}: chunk {@code i} is segment {@code i}, not bounced. The
     * caller checked the segments as chunks ({@link Chunk}'s rules hold for every segment: a
     * segment's address is not negative and its length is positive).
     *
     * @param list the driver's list
     * @return the view
     * @throws NullPointerException if {@code list} is null
     */
    public static Chunks of(ScatterList list) {
        return new Chunks(null, Objects.requireNonNull(list, "list"));
    }

    /** The records of a list the caller keeps unchanged while they are used: not copied. */
    static Chunks wrap(List<Chunk> chunks) {
        return new Chunks(chunks, null);
    }

    /** {@return how many chunks there are} */
    public int count() {
        return list != null ? list.size() : records.size();
    }

    /**
     * Returns chunk {@code i}'s physical address ({@link Chunk#phys}).
     *
     * @param i the index
     * @return the address
     */
    public long phys(int i) {
        return list != null ? list.segment(i).paddr() : records.get(i).phys();
    }

    /**
     * Returns chunk {@code i}'s bytes ({@link Chunk#size}).
     *
     * @param i the index
     * @return the bytes, positive
     */
    public long size(int i) {
        return list != null ? list.segment(i).length() : records.get(i).size();
    }

    /**
     * Returns chunk {@code i}'s bounce buffer ({@link Chunk#bounce}).
     *
     * @param i the index
     * @return the bounce buffer's address, or {@link Chunk#NOT_BOUNCED}
     */
    public long bounce(int i) {
        if (list != null) {
            Objects.checkIndex(i, list.size());
            return Chunk.NOT_BOUNCED;
        }
        return records.get(i).bounce();
    }

    /**
     * Returns whether chunk {@code i} is bounced ({@link Chunk#bounced}).
     *
     * @param i the index
     * @return whether the device reaches it through a bounce buffer
     */
    public boolean bounced(int i) {
        return bounce(i) != Chunk.NOT_BOUNCED;
    }

    /**
     * Returns the physical address the device reaches of chunk {@code i}
     * ({@link Chunk#devicePhys}).
     *
     * @param i the index
     * @return the bounce buffer of a bounced chunk, else its address
     */
    public long devicePhys(int i) {
        return list != null ? list.segment(i).paddr() : records.get(i).devicePhys();
    }

    /**
     * Returns whether no chunk can be bounced, known without looking at the chunks: true for a
     * scatterlist's view (false does not say that one is).
     *
     * @return whether this is a view of a scatterlist
     */
    public boolean neverBounced() {
        return list != null;
    }

    /**
     * Returns whether any chunk is bounced.
     *
     * @return whether any chunk is bounced (never for a scatterlist's view)
     */
    public boolean anyBounced() {
        if (list != null) {
            return false;
        }
        for (Chunk c : records) {
            if (c.bounced()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns chunk {@code i} as a record.
     *
     * @param i the index
     * @return the chunk
     */
    public Chunk get(int i) {
        if (list != null) {
            Segment s = list.segment(i);
            return new Chunk(s.paddr(), Chunk.NOT_BOUNCED, s.length());
        }
        return records.get(i);
    }

    /**
     * Returns the part of chunk {@code i} from {@code offset} for {@code length} bytes: what
     * {@code get(i).slice(offset, length)} returns.
     *
     * @param i the index
     * @param offset bytes from the chunk's start, from 0 to {@code size(i) - 1}
     * @param length bytes, from 1 to {@code size(i) - offset}
     * @return the sub-chunk, bounced at the same offset if the chunk is bounced
     * @throws IllegalArgumentException if the part is not inside the chunk
     */
    public Chunk slice(int i, long offset, long length) {
        if (list == null) {
            return records.get(i).slice(offset, length);
        }
        Segment s = list.segment(i);
        if (offset < 0 || length <= 0 || offset > s.length() - length) {
            // the record's own check and message
            return get(i).slice(offset, length);
        }
        return new Chunk(s.paddr() + offset, Chunk.NOT_BOUNCED, length);
    }

    /** {@return the chunks as an immutable list of records, in order} */
    public List<Chunk> asList() {
        if (list == null) {
            return records;
        }
        List<Chunk> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            out.add(get(i));
        }
        return List.copyOf(out);
    }

    /** Two {@code Chunks} are equal when they hold equal chunks in the same order. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Chunks other && asList().equals(other.asList());
    }

    @Override
    public int hashCode() {
        return asList().hashCode();
    }

    @Override
    public String toString() {
        return asList().toString();
    }
}

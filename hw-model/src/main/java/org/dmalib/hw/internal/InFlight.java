package org.dmalib.hw.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dmalib.hw.PhysicalMemory;

/**
 * The write-backs cache maintenance has issued and a barrier has not yet completed, in issue
 * order: per line, a snapshot of its data and the CPU whose barrier completes it. A clean of a
 * line another CPU has in flight completes that write-back at once ({@link #completeOthers}): a
 * clean applies to the line whoever wrote it, and that CPU's barrier must still find its own
 * clean done. A clean of a line already in flight from the same CPU replaces the snapshot and
 * keeps the first issue's place.
 *
 * <p>Usually empty: every look-up answers at once then, without boxing the line number.
 *
 * <p>Not thread-safe: the {@link CoherenceFabric} owns it and serialises all access.
 */
final class InFlight {
    private final PhysicalMemory memory;
    private final int lineShift;
    private final Map<Long, Pending> pending = new LinkedHashMap<>();
    // write-backs in flight per issuing CPU: a CPU with every one of them issued nothing else
    private final int[] issued;

    /** A write-back in flight: a snapshot of the line and the CPU whose barrier completes it. */
    private static final class Pending {
        final byte[] data;
        final int issuer;

        Pending(byte[] data, int issuer) {
            this.data = data;
            this.issuer = issuer;
        }
    }

    InFlight(PhysicalMemory memory, int lineShift, int cpus) {
        this.memory = memory;
        this.lineShift = lineShift;
        this.issued = new int[cpus];
    }

    int size() {
        return pending.size();
    }

    /** Returns the in-flight data of {@code line}, or null if none is in flight. */
    byte[] data(long line) {
        if (pending.isEmpty()) {
            return null;
        }
        Pending p = pending.get(line);
        return p == null ? null : p.data;
    }

    /**
     * Puts {@code data} (which the caller no longer changes) in flight for {@code line}. The
     * caller has completed any other CPU's write-back of the line ({@link #completeOthers}).
     */
    void issue(long line, byte[] data, int issuer) {
        Pending old = pending.put(line, new Pending(data, issuer)); // one look-up, as ever
        if (old == null || old.issuer != issuer) { // the counts follow the issuer either way
            issued[issuer]++;
            if (old != null) {
                issued[old.issuer]--;
            }
        }
    }

    /** Forgets the write-back of {@code line}: a newer write of the whole line supersedes it. */
    void drop(long line) {
        if (!pending.isEmpty()) {
            Pending p = pending.remove(line);
            if (p != null) {
                issued[p.issuer]--;
            }
        }
    }

    /** Completes the write-back of {@code line} now, if one is in flight. */
    void complete(long line) {
        if (pending.isEmpty()) {
            return;
        }
        Pending p = pending.remove(line);
        if (p != null) {
            issued[p.issuer]--;
            memory.write(line << lineShift, p.data, 0, p.data.length);
        }
    }

    /**
     * Completes now the write-backs of lines {@code first..last} that a CPU other than
     * {@code cpu} issued: {@code cpu} is cleaning those lines, and its barrier must find them in
     * RAM though it did not issue them (a CPU cleaning a PTE another CPU wrote, rather than
     * waiting for that CPU's barrier). Nothing to do, and no look-up, unless another CPU has a
     * write-back in flight.
     */
    void completeOthers(long first, long last, int cpu) {
        int others = pending.size() - issued[cpu];
        if (others == 0) {
            return;
        }
        if (last - first < pending.size()) { // fewer lines than write-backs: look each line up
            for (long line = first; line <= last && others > 0; line++) {
                Pending p = pending.get(line);
                if (p != null && p.issuer != cpu) {
                    complete(line);
                    others--;
                }
            }
            return;
        }
        for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Pending> e = it.next();
            long line = e.getKey();
            if (e.getValue().issuer != cpu && line >= first && line <= last) {
                issued[e.getValue().issuer]--;
                memory.write(line << lineShift, e.getValue().data, 0, e.getValue().data.length);
                it.remove();
            }
        }
    }

    /** Completes, in issue order, every write-back {@code cpu} issued. */
    void completeAll(int cpu) {
        if (pending.isEmpty()) {
            return;
        }
        for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Pending> e = it.next();
            if (e.getValue().issuer == cpu) {
                memory.write(e.getKey() << lineShift, e.getValue().data, 0, e.getValue().data.length);
                it.remove();
            }
        }
        issued[cpu] = 0;
    }
}

package org.dmalib.hw.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dmalib.hw.PhysicalMemory;

/**
 * The write-backs cache maintenance has issued and a barrier has not yet completed, in issue
 * order: per line, a snapshot of its data and the CPU whose barrier completes it. A clean of a
 * line already in flight from the same CPU replaces the snapshot and keeps the first issue's
 * place; from another CPU, the earlier write-back completes first and the new one goes last.
 *
 * <p>Usually empty: every look-up answers at once then, without boxing the line number.
 *
 * <p>Not thread-safe: the {@link CoherenceFabric} owns it and serialises all access.
 */
final class InFlight {
    private final PhysicalMemory memory;
    private final int lineShift;
    private final Map<Long, Pending> pending = new LinkedHashMap<>();

    /** A write-back in flight: a snapshot of the line and the CPU whose barrier completes it. */
    private static final class Pending {
        final byte[] data;
        final int issuer;

        Pending(byte[] data, int issuer) {
            this.data = data;
            this.issuer = issuer;
        }
    }

    InFlight(PhysicalMemory memory, int lineShift) {
        this.memory = memory;
        this.lineShift = lineShift;
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
     * Puts {@code data} (which the caller no longer changes) in flight for {@code line}. A
     * write-back of the line another CPU issued is completed first: that CPU's barrier must still
     * find its clean done, and it would not complete one issued by this CPU.
     */
    void issue(long line, byte[] data, int issuer) {
        Pending fresh = new Pending(data, issuer);
        Pending old = pending.put(line, fresh); // one look-up in the usual case: none in flight
        if (old != null && old.issuer != issuer) {
            // a write-back may complete at any time before its barrier: now, so that the other
            // CPU's DSB does not depend on this CPU's; fresh goes last, in this CPU's issue order
            memory.write(line << lineShift, old.data, 0, old.data.length);
            pending.remove(line);
            pending.put(line, fresh);
        }
    }

    /** Forgets the write-back of {@code line}: a newer write of the whole line supersedes it. */
    void drop(long line) {
        if (!pending.isEmpty()) {
            pending.remove(line);
        }
    }

    /** Completes the write-back of {@code line} now, if one is in flight. */
    void complete(long line) {
        if (pending.isEmpty()) {
            return;
        }
        Pending p = pending.remove(line);
        if (p != null) {
            memory.write(line << lineShift, p.data, 0, p.data.length);
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
    }
}

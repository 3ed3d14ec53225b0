package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The active cache-line counts of {@link DebugState}: what an insert decides to report, and that
 * the overflow is decided by the insert itself, so a removal right after it (another mapping's
 * unmap, or a failed map's undo, on another thread) cannot make it disappear.
 */
class DebugStateTest {
    // a 64-byte cache line, as on the simulated CPUs
    private static final int LINE_SIZE = 64;

    /** Inserts one mapping starting in {@code line} until the line is at the limit, not past it. */
    private static void fillToTheLimit(DebugState s, long line) {
        // the first mapping and MAX_OVERLAPS overlapping ones
        for (int i = 0; i <= DebugState.MAX_OVERLAPS; i++) {
            DebugState.Inserted in = s.insertLines(List.of(line));
            assertEquals(i == 0 ? List.of() : List.of(line), in.overlaps());
            assertEquals(DebugState.NO_LINE, in.overflow(), "at the limit, not past it");
        }
    }

    @Test
    void theInsertThatPassesTheLimitNamesTheLine() {
        DebugState s = new DebugState(LINE_SIZE);
        long line = s.line(0x4000);
        fillToTheLimit(s, line);
        DebugState.Inserted in = s.insertLines(List.of(line));
        assertEquals(List.of(line), in.overlaps());
        assertEquals(line, in.overflow());
        assertTrue(s.overflowOnce());
        // reported once: neither this call again nor a later insert past the limit reports it
        assertFalse(s.overflowOnce());
        assertEquals(DebugState.NO_LINE, s.insertLines(List.of(line)).overflow());
    }

    @Test
    void aRemovalRightAfterTheInsertDoesNotTakeTheOverflowBack() {
        DebugState s = new DebugState(LINE_SIZE);
        long line = s.line(0x4000);
        fillToTheLimit(s, line);
        DebugState.Inserted in = s.insertLines(List.of(line));
        // another mapping of the line is unmapped before the inserting map reports: the count is
        // back at the limit, but it did pass it
        s.removeLines(List.of(line));
        assertEquals(line, in.overflow());
        assertTrue(s.overflowOnce());
    }

    @Test
    void anOverflowNotReportedIsLeftToTheNextMapPastTheLimit() {
        DebugState s = new DebugState(LINE_SIZE);
        long line = s.line(0x4000);
        fillToTheLimit(s, line);
        // a map whose overlap report threw first (THROW mode) undoes its insert unreported
        List<Long> starts = List.of(line);
        assertEquals(line, s.insertLines(starts).overflow());
        s.removeLines(starts);
        assertEquals(line, s.insertLines(starts).overflow());
        assertTrue(s.overflowOnce());
    }

    @Test
    void theOverflowIsTheFirstLineInOrderCountedAfterAllTheMappingsInserts() {
        DebugState s = new DebugState(LINE_SIZE);
        long a = s.line(0x4000);
        long b = s.line(0x8000);
        fillToTheLimit(s, a);
        fillToTheLimit(s, b);
        DebugState.Inserted in = s.insertLines(List.of(b, a));
        assertEquals(List.of(b, a), in.overlaps());
        assertEquals(b, in.overflow());

        // one mapping with two ranges starting in one line: the second takes it past the limit
        DebugState t = new DebugState(LINE_SIZE);
        long c = t.line(0x4000);
        for (int i = 0; i < DebugState.MAX_OVERLAPS; i++) {
            DebugState.Inserted unused = t.insertLines(List.of(c));
        }
        DebugState.Inserted twice = t.insertLines(List.of(c, c));
        assertEquals(List.of(c, c), twice.overlaps());
        assertEquals(c, twice.overflow());
    }

    @Test
    void aRemovalUndoesExactlyTheInserts() {
        DebugState s = new DebugState(LINE_SIZE);
        long line = s.line(0x4000);
        List<Long> two = List.of(line, line);
        DebugState.Inserted unused = s.insertLines(two);
        s.removeLines(two);
        // the line is free again: a new mapping overlaps nothing
        assertEquals(List.of(), s.insertLines(List.of(line)).overlaps());
        assertEquals(line, s.line(0x4000 + LINE_SIZE - 1));
        assertEquals(line + 1, s.line(0x4000 + LINE_SIZE));
    }
}

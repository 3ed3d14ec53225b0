package org.dmalib.hw.internal.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
import static org.dmalib.hw.internal.smmu.HandStage1.ASID;
import static org.dmalib.hw.internal.smmu.HandStage1.CMDQ;
import static org.dmalib.hw.internal.smmu.HandStage1.DATA;
import static org.dmalib.hw.internal.smmu.HandStage1.LEAF;
import static org.dmalib.hw.internal.smmu.HandStage1.PAGE;
import static org.dmalib.hw.internal.smmu.HandStage1.SID;
import static org.dmalib.hw.internal.smmu.HandStage1.VA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Arrays;
import java.util.List;
import org.dmalib.hw.CacheGeometry;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.internal.CoherenceFabric;
import org.dmalib.hw.internal.HwStats;
import org.dmalib.hw.internal.StreamPort;
import org.dmalib.hw.internal.SyncEpoch;
import org.dmalib.hw.internal.Translation;
import org.dmalib.hw.smmu.CommandLayout;
import org.dmalib.hw.smmu.Fields;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SMMUv3 completes a CMD_SYNC only after the transactions that used the translations it
 * invalidated. A burst translated before a driver's unmap (PTE cleared, TLBI, CMD_SYNC) whose
 * data would move only after the CMD_SYNC completed must not reach the unmapped page: it
 * translates again and faults. The interleaving is forced: the test's translation stage runs
 * the driver's unmap right after the SMMU hands out the translation, before the port moves the
 * data.
 */
class SmmuSyncInFlightTest {
    private final PhysicalMemory ram = new PhysicalMemory(64L << 20);
    private final CoherenceFabric fabric = new CoherenceFabric(ram, CacheGeometry.DEFAULT, 1,
            new HwStats());
    private final SmmuDevice smmu = new SmmuDevice(SmmuConfig.gem5(), fabric);
    private int prod;

    /** Stage 1 for stream {@code SID}: VA and VA + 4 KiB map to DATA and DATA + 4 KiB. */
    private void program() {
        HandStage1.program(ram, smmu, 2, 0);
    }

    private void command(long d0, long d1) {
        long slot = CMDQ + (prod & 15) * 16L;
        ram.writeLong(slot, d0);
        ram.writeLong(slot + 8, d1);
        prod = (prod + 1) & 31; // 16 entries and the wrap bit
        smmu.write32(CMDQ_PROD, prod);
    }

    /** The driver's strict unmap of VA (and VA + 4 KiB if {@code both}): PTEs, TLBI, CMD_SYNC. */
    private void unmap(boolean both) {
        ram.writeLong(LEAF, 0);
        if (both) {
            ram.writeLong(LEAF + 8, 0);
        }
        command(CommandLayout.OP_TLBI_NH_ASID | Fields.prep(CommandLayout.TLBI_0_ASID, ASID), 0);
        command(CommandLayout.OP_CMD_SYNC, 0);
    }

    /**
     * The SMMU's translations, with the driver's unmap run once right after the {@code after}-th
     * one (the last page of the burst's first attempt).
     */
    private final class Racing implements Translation {
        private final int after;
        private final Runnable between;
        private int translated;

        Racing(int after, Runnable between) {
            this.after = after;
            this.between = between;
        }

        Racing(Runnable between) {
            this(1, between);
        }

        @Override
        public long translate(int streamId, long address, boolean write) {
            long p = smmu.translate(streamId, address, write);
            if (++translated == after) {
                between.run(); // the burst holds its translations; the unmap completes now
            }
            return p;
        }

        @Override
        public SyncEpoch syncEpoch() {
            return smmu.syncEpoch();
        }
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_write_translated_before_an_unmap_completed_never_lands_after_it(Coherency c) {
        program();
        ram.fill(DATA, PAGE, (byte) 0x11);
        StreamPort port = new StreamPort(SID, c, fabric, new Racing(() -> unmap(false)),
                new HwStats());
        assertEquals(DmaStatus.ABORT, port.write(VA, filled(64, 0x77), 0, 64));
        byte[] page = new byte[PAGE];
        fabric.coherentRead(DATA, page, 0, PAGE);
        assertArrayEquals(filled(PAGE, 0x11), page, "the page the driver unmapped is untouched");
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, VA, true)),
                smmu.events(), "the burst translated again, after the unmap, and faulted");
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_read_translated_before_an_unmap_completed_reads_nothing_after_it(Coherency c) {
        program();
        ram.fill(DATA, PAGE, (byte) 0x11);
        // the page's next owner writes it as soon as the unmap has completed
        StreamPort port = new StreamPort(SID, c, fabric, new Racing(() -> {
            unmap(false);
            ram.fill(DATA, PAGE, (byte) 0x22);
        }), new HwStats());
        byte[] dst = filled(64, 0x77);
        assertEquals(DmaStatus.ABORT, port.read(VA, dst, 0, 64));
        assertArrayEquals(filled(64, 0x77), dst, "nothing of the next owner's data was read");
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, VA, false)),
                smmu.events());
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_burst_across_two_pages_translated_before_an_unmap_completed_moves_nothing(Coherency c) {
        program();
        ram.fill(DATA, 2 * PAGE, (byte) 0x11);
        StreamPort port = new StreamPort(SID, c, fabric, new Racing(2, () -> unmap(true)),
                new HwStats());
        assertEquals(DmaStatus.ABORT, port.write(VA + PAGE - 32, filled(64, 0x77), 0, 64));
        byte[] pages = new byte[2 * PAGE];
        fabric.coherentRead(DATA, pages, 0, 2 * PAGE);
        assertArrayEquals(filled(2 * PAGE, 0x11), pages);
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, VA + PAGE - 32,
                true)), smmu.events());
    }

    @ParameterizedTest
    @EnumSource(Coherency.class)
    void a_burst_that_straddles_a_sync_of_other_pages_moves_once_its_translation_is_retaken(
            Coherency c) {
        program();
        // the CMD_SYNC completes between the translation and the move, but VA stays mapped:
        // the burst translates again, gets the same page, and its data moves exactly once
        StreamPort port = new StreamPort(SID, c, fabric,
                new Racing(() -> command(CommandLayout.OP_CMD_SYNC, 0)), new HwStats());
        long translations = smmu.counters().translations();
        assertEquals(DmaStatus.OK, port.write(VA, filled(64, 0x77), 0, 64));
        byte[] got = new byte[64];
        fabric.coherentRead(DATA, got, 0, 64);
        assertArrayEquals(filled(64, 0x77), got);
        assertEquals(List.of(), smmu.events());
        assertEquals(2, smmu.counters().translations() - translations,
                "translated twice: before the sync and after it");
    }

    @Test
    void a_cmd_sync_signals_its_completion_by_msi_only_once_bursts_in_flight_are_fenced()
            throws InterruptedException {
        program(); // MSIATTR 0 (Device): the MSI write goes straight to RAM, without the fabric
        long target = DATA + 2 * PAGE; // not mapped for the device: the driver's sync word
        long msiData = 0x5a5a_0001L;
        SyncEpoch epoch = smmu.syncEpoch();
        // a burst's first half: it reads the epoch and takes its translation, then is delayed
        long seen = epoch.value();
        long p = smmu.translate(SID, VA, true);
        assertEquals(DATA, p);
        ram.fill(DATA, PAGE, (byte) 0x11);
        Thread driver = new Thread(() -> {
            ram.writeLong(LEAF, 0); // strict unmap of VA, completion by MSI (Linux's MSI polling)
            command(CommandLayout.OP_TLBI_NH_ASID | Fields.prep(CommandLayout.TLBI_0_ASID, ASID),
                    0);
            command(CommandLayout.OP_CMD_SYNC
                            | Fields.prep(CommandLayout.SYNC_0_CS, CommandLayout.SYNC_CS_IRQ)
                            | Fields.prep(CommandLayout.SYNC_0_MSIDATA, msiData),
                    target & CommandLayout.SYNC_1_MSIADDR);
        });
        boolean completed;
        boolean moved;
        synchronized (fabric) { // no burst moves and the epoch cannot advance meanwhile
            driver.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (driver.getState() != Thread.State.BLOCKED && driver.isAlive()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the driver never waited for the fabric");
                }
                Thread.onSpinWait();
            }
            completed = (ram.readLong(target) & 0xffff_ffffL) == msiData;
            // the burst's second half: the data move, checked against the epoch it read
            moved = fabric.moveIfCurrent(epoch, seen, p, filled(64, 0x77), 0, 64, true, false);
        }
        driver.join();
        // SMMUv3: a CMD_SYNC completes, and signals it, only after the transactions that used
        // a translation it invalidated; a driver that saw the MSI may free the page
        assertFalse(completed && moved, "the burst landed after the sync's MSI was visible");
        assertEquals(msiData, ram.readLong(target) & 0xffff_ffffL, "the sync completed");
        assertEquals(seen + 1, epoch.value(), "once for the doorbell of the sync");
    }

    @Test
    void the_epoch_advances_once_per_doorbell_that_completes_a_sync_and_never_otherwise() {
        program();
        SyncEpoch epoch = smmu.syncEpoch();
        assertSame(epoch, smmu.syncEpoch());
        long before = epoch.value();
        command(CommandLayout.OP_TLBI_NH_ASID | Fields.prep(CommandLayout.TLBI_0_ASID, ASID), 0);
        assertEquals(before, epoch.value(), "a TLBI alone completes nothing");
        command(CommandLayout.OP_CMD_SYNC, 0);
        assertEquals(before + 1, epoch.value());
        // two CMD_SYNCs consumed by one doorbell: one advance
        ram.writeLong(CMDQ + (prod & 15) * 16L, CommandLayout.OP_CMD_SYNC);
        ram.writeLong(CMDQ + ((prod + 1) & 15) * 16L, CommandLayout.OP_CMD_SYNC);
        prod = (prod + 2) & 31;
        smmu.write32(CMDQ_PROD, prod);
        assertEquals(before + 2, epoch.value());
        assertEquals(null, Translation.IDENTITY.syncEpoch(), "no IOMMU: nothing is withdrawn");
    }
}

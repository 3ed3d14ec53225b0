package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SteLayout;
import org.junit.jupiter.api.Test;

/** What probe writes to the table memory: its own blocks, and not a byte beside them. */
class ProbeFootprintTest {
    private static final long PATTERN = 0x5a5a_1234_a5a5_4321L;

    @Test
    void probe_writes_every_ste_of_its_stream_table_and_nothing_past_its_end() {
        Machine machine = Machine.create(MachineConfig.of(4 * Rig.GIB));
        Smmu smmu = machine.addSmmu(SmmuConfig.gem5()); // 2^8 STEs: 16 KiB
        TableMemory tables = TableMemory.of(machine, Rig.TABLES, Rig.MIB);
        int strtabBytes = SteLayout.BYTES << 8;
        // a freed block of the stream table's size, with somebody's block right behind it
        long hole = tables.allocate(strtabBytes);
        long neighbour = tables.allocate(TableMemory.MIN_BLOCK);
        assertEquals(hole + strtabBytes, neighbour);
        PhysicalMemory ram = machine.memory();
        for (int i = 0; i < TableMemory.MIN_BLOCK / Long.BYTES; i++) {
            ram.writeLong(neighbour + 8L * i, PATTERN + i);
        }
        tables.free(hole, strtabBytes);

        SmmuV3.probe(smmu, machine.cpu(0), tables);

        long abort = SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_ABORT);
        for (int sid = 0; sid < 256; sid++) {
            long ste = ram.readLong(hole + (long) sid * SteLayout.BYTES);
            assertEquals(abort, ste & (SteLayout.V | SteLayout.CONFIG),
                    "STE " + sid + " is a valid abort STE");
        }
        for (int i = 0; i < TableMemory.MIN_BLOCK / Long.BYTES; i++) {
            assertEquals(PATTERN + i, ram.readLong(neighbour + 8L * i),
                    "the neighbour's doubleword " + i + " is untouched");
        }
    }
}

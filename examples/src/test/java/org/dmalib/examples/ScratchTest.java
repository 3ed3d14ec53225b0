package org.dmalib.examples;

import org.dmalib.hw.Coherency;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void print() {
        for (IommuMode m : IommuMode.values()) {
            for (DriverMistake k : new DriverMistake[] {DriverMistake.CORRECT, DriverMistake.MISSING_SYNC_FOR_CPU, DriverMistake.WRONG_DIRECTION}) {
                for (Coherency co : Coherency.values()) {
                    ScenarioResult r = BlockScenario.run(ScenarioConfig.of(2000, m).withMistake(k).withCoherency(co));
                    System.out.println(m + " " + k + " " + co + " errors=" + r.dataErrors() + " dev=" + r.deviceErrors()
                        + " bytes=" + r.bytes() + " tlbi=" + r.tlbiCommands() + " sync=" + r.cmdSyncs() + " hit=" + r.iotlbHitRate()
                        + " lazy=" + r.lazy() + " faults=" + r.smmu().faults() + " pend=" + r.pendingMappings()
                        + " iova=" + r.iovaRangesOutstanding() + " ms=" + r.wallNanos() / 1e6 + " hw=" + r.hw());
                }
            }
        }
    }
}

package org.dmalib.iommu.smmu;

import java.util.Objects;
import org.dmalib.hw.SmmuEvent;

/**
 * One event record the driver read from the SMMU's event queue ({@code arm_smmu_evtq_thread}),
 * decoded ({@code EVTQ_*} fields, arm-smmu-v3.h).
 *
 * <p>Immutable, so safe for concurrent use.
 *
 * @param kind the event (EVENT_ID)
 * @param streamId the stream (SID)
 * @param address the input address of the faulting access (INPUT_ADDR); 0 for a configuration
 *     or fetch event (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE, F_CD_FETCH, C_BAD_CD), whose
 *     records carry no access
 * @param write whether the access was a write (the record's RnW bit is the inverse); false for
 *     a configuration or fetch event
 * @param fetchAddress the failed STE, CD or descriptor fetch address (FETCH_ADDR) of an
 *     F_STE_FETCH, F_CD_FETCH or F_WALK_EABT; 0 for any other event
 */
public record SmmuFault(SmmuEvent.Kind kind, int streamId, long address, boolean write,
        long fetchAddress) {
    /**
     * Validates the record.
     *
     * @param kind the event (EVENT_ID): not null
     * @param streamId the stream (SID)
     * @param address the input address of the faulting access (INPUT_ADDR); 0 when none
     * @param write whether the access was a write
     * @param fetchAddress the failed STE, CD or descriptor fetch address (FETCH_ADDR); 0 when none
     * @throws NullPointerException if {@code kind} is null
     */
    public SmmuFault {
        Objects.requireNonNull(kind, "kind");
    }
}

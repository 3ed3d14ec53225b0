package org.dmalib.hw;

import java.util.Objects;

/**
 * One event the SMMU raised: a fault of a device access or a bad configuration, as it would be
 * written to the event queue.
 *
 * <p>Immutable, so safe for concurrent use.
 *
 * @param kind what happened
 * @param streamId the stream ID of the access
 * @param address the input (bus) address of the access; 0 for configuration events that carry
 *     none
 * @param write whether the access was a write (the event record's RnW bit is the inverse)
 */
public record SmmuEvent(Kind kind, int streamId, long address, boolean write) {
    /**
     * Validates the event.
     *
     * @param kind what happened, not null
     * @param streamId the stream ID of the access
     * @param address the input (bus) address of the access, or 0 if the event carries none
     * @param write whether the access was a write
     * @throws NullPointerException if {@code kind} is null
     */
    public SmmuEvent {
        Objects.requireNonNull(kind, "kind");
    }

    /**
     * Event types, with their SMMUv3 event IDs (EVT_ID_*, Linux {@code arm-smmu-v3.h}).
     *
     * <p>Thread-safety: immutable constants; safe to use from any thread.
     */
    public enum Kind {
        /** C_BAD_STREAMID: the stream ID is outside the stream table. */
        BAD_STREAM_ID(0x02),
        /** F_STE_FETCH: the STE could not be read (outside memory). */
        STE_FETCH_FAULT(0x03),
        /** C_BAD_STE: the STE is invalid or asks for something the SMMU lacks. */
        BAD_STE(0x04),
        /** F_CD_FETCH: the context descriptor could not be read (outside memory). */
        CD_FETCH_FAULT(0x09),
        /** C_BAD_CD: the context descriptor is invalid or unsupported. */
        BAD_CD(0x0a),
        /** F_WALK_EABT: a translation table descriptor could not be read (outside memory). */
        WALK_EXTERNAL_ABORT(0x0b),
        /** F_TRANSLATION: no valid translation for the address. */
        TRANSLATION_FAULT(0x10),
        /** F_ADDR_SIZE: an output or table address exceeds the output address size. */
        ADDRESS_SIZE_FAULT(0x11),
        /** F_ACCESS: the descriptor's Access Flag is clear. */
        ACCESS_FAULT(0x12),
        /** F_PERMISSION: the translation does not allow the access (a write to read-only). */
        PERMISSION_FAULT(0x13);

        private final int id;

        Kind(int id) {
            this.id = id;
        }

        /** {@return the event ID written in bits 7:0 of the event record} */
        public int id() {
            return id;
        }

        /**
         * Returns whether records of this kind define the access fields RnW, PnU, CLASS and
         * InputAddr: F_WALK_EABT and the stage-1 faults F_TRANSLATION, F_ADDR_SIZE, F_ACCESS and
         * F_PERMISSION (IHI 0070 7.3.12 to 7.3.16). In C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE,
         * F_CD_FETCH and C_BAD_CD those bits are RES0 (7.3.3 to 7.3.5, 7.3.10, 7.3.11:
         * "portions of event records that are not explicitly defined are RES0").
         *
         * @return whether the record carries the faulting access
         */
        public boolean recordsAccess() {
            return switch (this) {
                case WALK_EXTERNAL_ABORT, TRANSLATION_FAULT, ADDRESS_SIZE_FAULT, ACCESS_FAULT,
                        PERMISSION_FAULT -> true;
                case BAD_STREAM_ID, STE_FETCH_FAULT, BAD_STE, CD_FETCH_FAULT, BAD_CD -> false;
            };
        }

        /**
         * Returns whether records of this kind define FetchAddr in dword 3: F_STE_FETCH,
         * F_CD_FETCH and F_WALK_EABT (IHI 0070 7.3). Dword 3 of a stage-1 F_TRANSLATION,
         * F_ADDR_SIZE, F_ACCESS or F_PERMISSION is the IPA, UNKNOWN for a stage-1 fault.
         *
         * @return whether the record carries a fetch address
         */
        public boolean recordsFetchAddress() {
            return this == STE_FETCH_FAULT || this == CD_FETCH_FAULT || this == WALK_EXTERNAL_ABORT;
        }
    }
}

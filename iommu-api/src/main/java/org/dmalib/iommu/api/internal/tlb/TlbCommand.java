package org.dmalib.iommu.api.internal.tlb;

/**
 * One SMMUv3 command-queue entry of an invalidation plan, with the raw field values of the
 * command (reference §5.2). Plans are lists of these ending in one {@link CmdSync}.
 *
 * <p>Every implementation is an immutable record; thread-safe.
 */
public sealed interface TlbCommand
        permits TlbCommand.TlbiNhVa, TlbCommand.TlbiNhAsid, TlbCommand.TlbiNhAll,
                TlbCommand.CmdSync {
    /** ASIDs are 16 bits wide (SMMU_IDR0.ASID16; cmd[0] bits 63:48). */
    int MAX_ASID = 0xFFFF;
    /** NUM and SCALE are 5-bit fields (CMDQ_TLBI_RANGE_NUM_MAX = 31; SCALE is bits 24:20). */
    int MAX_FIELD = 31;

    /** {@return the opcode's name as the CLI prints it, e.g. {@code TLBI_NH_VA}} */
    String op();

    /** {@return the command as one JSON object, in the CLI's format} */
    String json();

    /**
     * {@code CMD_TLBI_NH_VA}: invalidate stage-1 entries of {@code asid} by address. A range
     * command ({@code tg != 0}, SMMUv3.2 RIL) covers {@code (num + 1) * 2^scale} translation
     * granules of {@code 2^(10 + 2 * tg)} bytes from {@code address}; a non-range command
     * ({@code tg == 0}: num, scale and ttl are 0) covers every entry that translates
     * {@code address}.
     *
     * @param asid the address space: 0 to {@link #MAX_ASID}
     * @param address the first byte: a non-negative multiple of 4 KiB (the field is bits 63:12)
     * @param num the raw NUM field: 0 to 31, granule count minus one in units of 2^scale
     * @param scale the raw SCALE field: 0 to 31
     * @param tg the raw TG field: 0 (no range), 1 (4 KiB), 2 (16 KiB) or 3 (64 KiB)
     * @param ttl the raw TTL field: 0 (any level) or the level 1 to 3 of the leaf entries
     * @param leaf whether only leaf entries need invalidating (walk-cache entries are kept)
     */
    record TlbiNhVa(int asid, long address, int num, int scale, int tg, int ttl, boolean leaf)
            implements TlbCommand {
        // 4 KiB: the address field starts at bit 12
        private static final long ADDRESS_ALIGN = 1L << 12;
        // TG and TTL are 2-bit fields
        private static final int MAX_TG = 3;
        private static final int MAX_TTL = 3;

        /**
         * Validates the fields.
         *
         * @param asid the address space: 0 to {@link #MAX_ASID}
         * @param address the first byte: a non-negative multiple of 4 KiB
         * @param num the raw NUM field: 0 to 31; 0 if {@code tg} is 0
         * @param scale the raw SCALE field: 0 to 31; 0 if {@code tg} is 0
         * @param tg the raw TG field: 0 (no range), 1 (4 KiB), 2 (16 KiB) or 3 (64 KiB)
         * @param ttl the raw TTL field: 0 (any level) or the leaf level 1 to 3; 0 if {@code tg}
         *     is 0
         * @param leaf whether only leaf entries need invalidating (walk-cache entries are kept)
         * @throws IllegalArgumentException naming the bad value
         */
        public TlbiNhVa {
            checkAsid(asid);
            if (address < 0 || (address & (ADDRESS_ALIGN - 1)) != 0) {
                throw new IllegalArgumentException(String.format(
                        "TLBI_NH_VA address=0x%x must be a non-negative multiple of 4 KiB", address));
            }
            if (num < 0 || num > MAX_FIELD || scale < 0 || scale > MAX_FIELD) {
                throw new IllegalArgumentException(String.format(
                        "TLBI_NH_VA num=%d scale=%d must be 0 to %d", num, scale, MAX_FIELD));
            }
            if (tg < 0 || tg > MAX_TG || ttl < 0 || ttl > MAX_TTL) {
                throw new IllegalArgumentException(
                        "TLBI_NH_VA tg=" + tg + " ttl=" + ttl + " must be 0 to 3");
            }
            if (tg == 0 && (num != 0 || scale != 0 || ttl != 0)) {
                throw new IllegalArgumentException(String.format(
                        "TLBI_NH_VA without a range (tg=0) has num=%d scale=%d ttl=%d, not 0",
                        num, scale, ttl));
            }
        }

        /**
         * Returns a non-range command for the entries translating {@code address}.
         *
         * @param asid the address space
         * @param address the address, 4 KiB aligned
         * @param leaf whether walk-cache entries may be kept
         * @return the command with num, scale, tg and ttl 0
         */
        public static TlbiNhVa page(int asid, long address, boolean leaf) {
            return new TlbiNhVa(asid, address, 0, 0, 0, 0, leaf);
        }

        /** {@return whether this is a range command (TG set)} */
        public boolean isRange() {
            return tg != 0;
        }

        /** {@return the translation granule of a range command in bytes: 4, 16 or 64 KiB} */
        public long granuleBytes() {
            // TG 1/2/3 encodes log2(granule) = 12/14/16 = 10 + 2 * TG
            return isRange() ? 1L << (10 + 2 * tg) : 0;
        }

        /** {@return the granules a range command covers, {@code (num + 1) * 2^scale}; 0 if none} */
        public long granules() {
            return isRange() ? (long) (num + 1) << scale : 0;
        }

        /** {@return the bytes a range command covers from {@code address}; 0 if not a range} */
        public long rangeBytes() {
            return granules() * granuleBytes();
        }

        @Override
        public String op() {
            return "TLBI_NH_VA";
        }

        @Override
        public String json() {
            return "{\"op\":\"TLBI_NH_VA\",\"address\":" + address + ",\"num\":" + num
                    + ",\"scale\":" + scale + ",\"tg\":" + tg + ",\"ttl\":" + ttl
                    + ",\"leaf\":" + leaf + "}";
        }
    }

    /**
     * {@code CMD_TLBI_NH_ASID}: invalidate every stage-1 entry of one address space, walk-cache
     * entries included.
     *
     * @param asid the address space: 0 to {@link #MAX_ASID}
     */
    record TlbiNhAsid(int asid) implements TlbCommand {
        /**
         * Validates the ASID.
         *
         * @param asid the address space: 0 to {@link #MAX_ASID}
         * @throws IllegalArgumentException naming the bad value
         */
        public TlbiNhAsid {
            checkAsid(asid);
        }

        @Override
        public String op() {
            return "TLBI_NH_ASID";
        }

        @Override
        public String json() {
            return "{\"op\":\"TLBI_NH_ASID\",\"asid\":" + asid + "}";
        }
    }

    /** {@code CMD_TLBI_NH_ALL}: invalidate every stage-1 entry of the VMID, all ASIDs. */
    record TlbiNhAll() implements TlbCommand {
        @Override
        public String op() {
            return "TLBI_NH_ALL";
        }

        @Override
        public String json() {
            return "{\"op\":\"TLBI_NH_ALL\"}";
        }
    }

    /** {@code CMD_SYNC}: completes when every earlier command has taken effect. */
    record CmdSync() implements TlbCommand {
        @Override
        public String op() {
            return "CMD_SYNC";
        }

        @Override
        public String json() {
            return "{\"op\":\"CMD_SYNC\"}";
        }
    }

    private static void checkAsid(int asid) {
        if (asid < 0 || asid > MAX_ASID) {
            throw new IllegalArgumentException("asid=" + asid + " must be 0 to " + MAX_ASID);
        }
    }
}

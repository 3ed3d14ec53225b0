package org.dmalib.iommu.api.internal.tlb;

import com.google.errorprone.annotations.CheckReturnValue;
import java.util.ArrayList;
import java.util.List;
import org.dmalib.iommu.api.InvalidationStrategy;

/**
 * The invalidation planners: pure functions from an {@link InvalidationRequest} to the SMMUv3
 * commands that invalidate it, ending in one {@code CMD_SYNC}. Batching the commands into the
 * queue (64 at a time in Linux) is the driver's business.
 *
 * <p>Every plan covers every entry of the request: after its sync no stale IOTLB entry for the
 * range survives. Stateless and thread-safe.
 */
@CheckReturnValue
public final class InvalidationPlanner {
    private static final TlbCommand SYNC = new TlbCommand.CmdSync();
    // CMDQ_TLBI_RANGE_NUM_MAX = 31: NUM is a 5-bit field, so a window spans 1 to 32 units
    private static final int RANGE_NUM_MAX = TlbCommand.MAX_FIELD;
    // SCALE is a 5-bit field: units of 2^0 to 2^31 granules
    private static final int SCALE_MAX = TlbCommand.MAX_FIELD;
    // the largest range command: 32 * 2^31 granules
    private static final long MAX_WINDOW = (long) (RANGE_NUM_MAX + 1) << SCALE_MAX;

    private InvalidationPlanner() {}

    /**
     * Plans {@code request} with {@code strategy}: {@link #perPage}, {@link #linux} or
     * {@link #optimal}, except that a range {@link #linux} refuses (a window of Linux's encoding
     * would need SCALE above 31: a multiple of 2^32 pages of the TG granule, from 16 TiB at 4 KiB)
     * is invalidated ASID-wide. Linux would truncate SCALE to its 5-bit field and invalidate far
     * less than the range; a driver has cleared the range's entries when it plans, so refusing is
     * no option either, and one {@code TLBI_NH_ASID} is what Linux issues for a range its
     * commands do not say ({@code arm_smmu_inv_size_too_big}).
     *
     * @param strategy the domain's strategy
     * @param request what to invalidate
     * @param costModel prices plans for {@link InvalidationStrategy#OPTIMAL}; ignored otherwise
     * @param refills what an ASID-wide invalidation would cost in refills; used by OPTIMAL only
     * @return the commands, the last one a {@code CMD_SYNC}; unmodifiable
     * @throws IllegalArgumentException if the plan cannot be expressed (see each planner)
     */
    public static List<TlbCommand> plan(InvalidationStrategy strategy, InvalidationRequest request,
            CostModel costModel, RefillEstimate refills) {
        return switch (strategy) {
            case PER_PAGE -> perPage(request);
            case LINUX -> linux(request, true);
            case OPTIMAL -> optimal(request, costModel, refills);
        };
    }

    /**
     * One non-range {@code TLBI_NH_VA} per granule, then a sync: the 2015 behaviour, RIL or not.
     *
     * @param request what to invalidate
     * @return {@code request.granules()} commands and a sync, computed on demand
     * @throws IllegalArgumentException naming the size if that is more than a list holds
     */
    public static List<TlbCommand> perPage(InvalidationRequest request) {
        return PerGranulePlan.of(request);
    }

    /**
     * What newest Linux issues ({@code __arm_smmu_tlb_inv_range}, reference §5.2 to §5.4). With
     * RIL: range commands, each taking the next 5-bit window of the page count from its lowest
     * set bit, TG from the smallest page size, TTL from the granule's level on a leaf
     * invalidation, and one page more on a non-leaf one whose count is 1 mod 32 (an erratum
     * workaround: never SCALE = NUM = 0 without a TTL). Without RIL: one command per granule,
     * or one {@code TLBI_NH_ASID} when the range reaches {@link #linuxAsidThreshold}.
     *
     * @param request what to invalidate
     * @return the commands and a sync
     * @throws IllegalArgumentException if a Linux window's SCALE would not fit its 5-bit field
     *     (a multiple of 2^32 pages, at least 16 TiB at 4 KiB), naming the size
     */
    public static List<TlbCommand> linux(InvalidationRequest request) {
        return linux(request, false);
    }

    /** {@link #linux}; a SCALE above 31 gives the ASID-wide plan if {@code orAsidWide}. */
    private static List<TlbCommand> linux(InvalidationRequest request, boolean orAsidWide) {
        if (!request.ril()) {
            return request.size() >= linuxAsidThreshold(request.granule())
                    ? asidWide(request.asid())
                    : PerGranulePlan.of(request);
        }
        int tg = request.tgShift();
        long numPages = request.pages();
        int ttl = 0;
        if (request.leaf()) {
            ttl = leafTtl(request.granule(), tg);
        } else if ((numPages & RANGE_NUM_MAX) == 1) {
            numPages++;
        }
        List<TlbCommand> plan = new ArrayList<>();
        long iova = request.iova();
        // Linux loops while iova < end; the windows take numPages's bits from the lowest up, so
        // iova reaches end exactly when numPages reaches 0 (with the widening too: the pages
        // taken never equal the request's alone). Counting pages needs no end, which is 2^63
        // at the top of a 63-bit space; iova may wrap after the last window but is not read.
        while (numPages > 0) {
            int scale = Long.numberOfTrailingZeros(numPages);
            if (scale > SCALE_MAX) {
                if (orAsidWide) {
                    return asidWide(request.asid());
                }
                throw new IllegalArgumentException(String.format(
                        "Linux's range encoding of size=0x%x needs SCALE=%d > %d",
                        request.size(), scale, SCALE_MAX));
            }
            long num = (numPages >>> scale) & RANGE_NUM_MAX;
            plan.add(new TlbCommand.TlbiNhVa(request.asid(), iova, (int) num - 1, scale,
                    tgField(tg), ttl, request.leaf()));
            iova += num << (scale + tg);
            numPages -= num << scale;
        }
        plan.add(SYNC);
        return List.copyOf(plan);
    }

    /**
     * The cheapest exact plan. With RIL: the fewest range commands whose union is exactly the
     * range — windows may overlap, so one command if the page count is {@code (NUM + 1) *
     * 2^SCALE} for some fields, else two (or {@code ceil(pages / (32 * 2^31))} beyond the largest
     * window); a non-leaf single page is widened to two as Linux does (the erratum workaround).
     * Without RIL: one command per granule, which is the fewest since a non-range command
     * removes the entries of one address. Then, if {@code costModel} prices one
     * {@code TLBI_NH_ASID} plus the refills of {@code refills} below that plan, the ASID-wide
     * plan instead; on a tie the exact plan.
     *
     * @param request what to invalidate
     * @param costModel prices the two candidates
     * @param refills the live entries an ASID-wide invalidation would remove
     * @return the commands and a sync
     */
    public static List<TlbCommand> optimal(InvalidationRequest request, CostModel costModel,
            RefillEstimate refills) {
        long rangeCommands = request.ril() ? fewestWindows(request) : request.granules();
        double rangeNs = costModel.nanos(rangeCommands, 1, 0, 0);
        double asidNs = costModel.nanos(1, 1, refills.liveEntriesOutsideRange(),
                Math.multiplyExact(refills.liveEntriesOutsideRange(), refills.pteReadsPerRefill()));
        if (asidNs < rangeNs) {
            return asidWide(request.asid());
        }
        return request.ril() ? fewestWindowsPlan(request) : PerGranulePlan.of(request);
    }

    /**
     * One {@code TLBI_NH_ASID} and a sync ({@code arm_smmu_tlb_inv_context} for stage 1).
     *
     * @param asid the address space: 0 to {@link TlbCommand#MAX_ASID}
     * @return the two commands
     */
    public static List<TlbCommand> asidWide(int asid) {
        return List.of(new TlbCommand.TlbiNhAsid(asid), SYNC);
    }

    /**
     * Returns the smallest range size newest Linux invalidates ASID-wide on an SMMU without RIL
     * ({@code arm_smmu_inv_size_too_big}): {@code 2^(log2(granule) - 3)} granules, i.e. 512
     * commands (2 MiB) at 4 KiB and 8192 (512 MiB) at 64 KiB. {@code Long.MAX_VALUE} when the
     * product does not fit in a long (never reached).
     *
     * @param granule a power of two of at least 4 KiB
     * @return the threshold in bytes
     * @throws IllegalArgumentException naming {@code granule} otherwise
     */
    public static long linuxAsidThreshold(long granule) {
        // 4 KiB: the smallest SMMUv3 translation granule
        if (granule < (1L << 12) || Long.bitCount(granule) != 1) {
            throw new IllegalArgumentException(String.format(
                    "granule=0x%x must be a power of two of at least 4 KiB", granule));
        }
        int log2 = Long.numberOfTrailingZeros(granule);
        // (log2 - 3) + log2 bits; 62 is the top bit of a positive long
        return 2 * log2 - 3 > 62 ? Long.MAX_VALUE : (1L << (log2 - 3)) * granule;
    }

    /** Returns how many range commands {@link #optimal} needs for the request, cost aside. */
    static long fewestWindows(InvalidationRequest request) {
        long n = coveredPages(request);
        if (n > MAX_WINDOW) {
            return (n + MAX_WINDOW - 1) / MAX_WINDOW;
        }
        return isWindow(n) ? 1 : 2;
    }

    private static List<TlbCommand> fewestWindowsPlan(InvalidationRequest request) {
        long n = coveredPages(request);
        int tg = request.tgShift();
        int ttl = request.leaf() ? leafTtl(request.granule(), tg) : 0;
        long window = n > MAX_WINDOW ? MAX_WINDOW : largestWindow(n);
        long commands = fewestWindows(request);
        List<TlbCommand> plan = new ArrayList<>();
        for (long i = 0; i < commands; i++) {
            // every window but the last starts where the previous ended; the last ends at n
            long first = i == commands - 1 ? n - window : i * window;
            int scale = Math.min(Long.numberOfTrailingZeros(window), SCALE_MAX);
            int num = (int) (window >>> scale) - 1;
            plan.add(new TlbCommand.TlbiNhVa(request.asid(), request.iova() + (first << tg), num,
                    scale, tgField(tg), ttl, request.leaf()));
        }
        plan.add(SYNC);
        return List.copyOf(plan);
    }

    /** The pages to cover: the request's, or 2 for a non-leaf single page (never SCALE=NUM=0). */
    private static long coveredPages(InvalidationRequest request) {
        long n = request.pages();
        return !request.leaf() && n == 1 ? 2 : n;
    }

    /** Returns whether some (NUM, SCALE) covers exactly {@code n} granules. */
    static boolean isWindow(long n) {
        if (n <= 0) {
            return false;
        }
        int scale = Math.min(Long.numberOfTrailingZeros(n), SCALE_MAX);
        return (n >>> scale) <= RANGE_NUM_MAX + 1;
    }

    /** Returns the largest window of at most {@code n} granules ({@code n} positive). */
    static long largestWindow(long n) {
        long best = 0;
        for (int scale = 0; scale <= SCALE_MAX && (n >>> scale) > 0; scale++) {
            long units = Math.min(RANGE_NUM_MAX + 1, n >>> scale);
            best = Math.max(best, units << scale);
        }
        return best;
    }

    /** TG field: log2(granule) 12, 14, 16 → 1, 2, 3. */
    private static int tgField(int tgShift) {
        return (tgShift - 10) / 2;
    }

    /** TTL of a leaf invalidation: the level of an entry of {@code granule} bytes (4 KiB → 3). */
    private static int leafTtl(long granule, int tgShift) {
        // each level resolves tgShift - 3 bits (8-byte PTEs); levels count down from 3 at the leaf
        int ttl = 4 - ((Long.numberOfTrailingZeros(granule) - 3) / (tgShift - 3));
        // a granule above the biggest block has no level: TTL 0, "any level"
        return ttl >= 1 && ttl <= 3 ? ttl : 0;
    }
}

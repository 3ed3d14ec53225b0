package org.dmalib.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.smmu.SmmuCommand;
import org.dmalib.iommu.smmu.SmmuCostModel;
import org.dmalib.iommu.smmu.UnmapPlan;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code dmalib plan}: the exact commands the SMMUv3 driver issues, per strategy, for one strict
 * unmap of granule-sized leaf pages; read from the driver's own {@link UnmapPlan}, not
 * re-implemented here.
 *
 * <p>Stateless; thread-safe.
 */
final class PlanCommand {
    static final String NAME = "plan";

    private static final String IOVA = "--iova";
    private static final String SIZE = "--size";
    private static final String JSON = "--json";
    private static final String ASID = "--asid";
    private static final String LIVE = "--live-entries";
    /** Commands listed per strategy in the table before the rest is summarised. */
    private static final int SHOWN = 8;
    /** The domain's input address space. */
    private static final int IAS = 48;

    private PlanCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name(NAME).mixinStandardHelpOptions(true);
        spec.usageMessage().description(
                "Print the invalidation commands the SMMUv3 driver issues, per strategy, for one "
                        + "strict unmap of SIZE bytes of already-mapped granule-sized leaf pages "
                        + "from IOVA (48-bit IOVAs, gem5's SMMU, with or without range "
                        + "invalidation). The commands come from the driver's own planning; a "
                        + "range TLBI_NH_VA covers (num+1)*2^scale granules from its address.",
                "",
                "Only optimal depends on the rest of the domain: it weighs one ASID-wide "
                        + "invalidation plus a refill (a full walk) for every leaf entry still "
                        + "mapped, capped at the IOTLB's size, against the exact commands. "
                        + "--live-entries sets that count; the default 0 means only this range "
                        + "was mapped. An unmap that frees whole leaf tables (an aligned 2M at "
                        + "4K) also issues walk flushes, not shown here.");
        spec.addOption(OptionSpec.builder(IOVA).type(String.class).paramLabel("IOVA")
                .defaultValue("0")
                .description("first byte unmapped, decimal or 0x hex, a multiple of the granule "
                        + "(default: ${DEFAULT-VALUE})")
                .build());
        spec.addOption(OptionSpec.builder(SIZE).type(String.class).paramLabel("SIZE")
                .required(true)
                .description("bytes unmapped: a multiple of the granule; K, M, G suffixes or 0x hex")
                .build());
        Args.addSmmuOptions(spec, "comma-separated strategies");
        spec.addOption(OptionSpec.builder(ASID).type(String.class).paramLabel("N")
                .defaultValue("1")
                .description("the domain's ASID, 0 to 65535 (default: ${DEFAULT-VALUE}, the "
                        + "first the driver allocates)")
                .build());
        spec.addOption(OptionSpec.builder(LIVE).type(String.class).paramLabel("N")
                .defaultValue("0")
                .description("leaf entries still mapped in the domain after the unmap; read by "
                        + "optimal only (default: ${DEFAULT-VALUE})")
                .build());
        spec.addOption(OptionSpec.builder(JSON).type(boolean.class)
                .description("one JSON object per strategy and line: "
                        + "{\"strategy\":...,\"commands\":[...]}")
                .build());
        return spec;
    }

    /**
     * Prints the plans.
     *
     * @param parsed the sub-command's parse result
     * @param out where the plans go
     * @return {@link Main#OK}
     * @throws IllegalArgumentException naming a bad option value
     */
    static int run(ParseResult parsed, PrintWriter out) {
        String granuleText = parsed.matchedOptionValue(Args.GRANULE, "4K");
        String iovaText = parsed.matchedOptionValue(IOVA, "0");
        String sizeText = parsed.matchedOptionValue(SIZE, "");
        String asidText = parsed.matchedOptionValue(ASID, "1");
        String liveText = parsed.matchedOptionValue(LIVE, "0");
        int granule = Args.granule(Args.GRANULE, granuleText);
        long iova = Args.address(IOVA, iovaText);
        long size = Args.positiveSize(SIZE, sizeText);
        Args.checkAligned(IOVA, iovaText, iova, granule);
        Args.checkAligned(SIZE, sizeText, size, granule);
        if (iova >= 1L << IAS || size > (1L << IAS) - iova) {
            throw new IllegalArgumentException(SIZE + "=" + sizeText + " from " + IOVA + "="
                    + iovaText + ": the range ends past the 48-bit IOVA space");
        }
        long asid = Args.count(ASID, asidText);
        if (asid > 0xFFFF) {
            throw new IllegalArgumentException(ASID + "=" + asidText + ": must be 0 to 65535");
        }
        long live = Args.count(LIVE, liveText);
        List<InvalidationStrategy> strategies =
                Args.strategies(Args.STRATEGY, parsed.matchedOptionValue(Args.STRATEGY, Args.ALL_STRATEGIES));
        boolean ril = !Args.flag(parsed, Args.NO_RIL);
        boolean json = Args.flag(parsed, JSON);
        SmmuConfig smmu = SmmuConfig.gem5().withRangeInvalidation(ril);

        // every plan before any output: one that cannot be made (too many commands to list)
        // is refused with nothing printed, not after the plans before it
        Map<InvalidationStrategy, List<SmmuCommand>> plans = new LinkedHashMap<>();
        for (InvalidationStrategy s : strategies) {
            plans.put(s, new UnmapPlan(smmu, s, granule, IAS, iova, size, (int) asid, live)
                    .commands());
        }
        if (!json) {
            long pages = size / granule;
            out.printf(Locale.ROOT,
                    "Strict unmap of %s (%d %s of %s) at 0x%x, ASID %d, SMMU %s:%n",
                    Args.human(size), pages, pages == 1 ? "page" : "pages", Args.human(granule),
                    iova, asid,
                    ril ? "with RIL" : "without RIL");
        }
        plans.forEach((s, plan) -> {
            if (json) {
                json(out, s, plan);
            } else {
                table(out, s, plan);
            }
        });
        return Main.OK;
    }

    private static void json(PrintWriter out, InvalidationStrategy s, List<SmmuCommand> plan) {
        out.print("{\"strategy\":\"" + Args.name(s) + "\",\"commands\":[");
        for (int i = 0; i < plan.size(); i++) {
            if (i > 0) {
                out.print(',');
            }
            out.print(plan.get(i).json());
        }
        out.println("]}");
    }

    private static void table(PrintWriter out, InvalidationStrategy s, List<SmmuCommand> plan) {
        long syncs = plan.stream().filter(c -> c.op() == SmmuCommand.Op.CMD_SYNC).count();
        long commands = plan.size() - syncs;
        out.printf(Locale.ROOT, "%n%s: %d command%s and %d CMD_SYNC, modelled %.0f ns%n",
                Args.name(s), commands, commands == 1 ? "" : "s", syncs,
                SmmuCostModel.gem5().nanos(commands, syncs, 0, 0));
        int shown = plan.size() <= SHOWN + 1 ? plan.size() : SHOWN;
        for (int i = 0; i < shown; i++) {
            out.println("  " + describe(plan.get(i)));
        }
        if (shown < plan.size()) {
            out.printf(Locale.ROOT, "  ... %d more, the last: %s%n", plan.size() - shown,
                    describe(plan.get(plan.size() - 1)));
        }
    }

    private static String describe(SmmuCommand c) {
        return switch (c.op()) {
            case TLBI_NH_VA -> c.isRange()
                    ? String.format(Locale.ROOT, "TLBI_NH_VA   asid=%d address=0x%x num=%d scale=%d "
                            + "tg=%d ttl=%d leaf=%b  covers %s", c.asid(), c.address(), c.num(),
                            c.scale(), c.tg(), c.ttl(), c.leaf(), Args.human(c.rangeBytes()))
                    : String.format(Locale.ROOT, "TLBI_NH_VA   asid=%d address=0x%x leaf=%b",
                            c.asid(), c.address(), c.leaf());
            case TLBI_NH_ASID -> "TLBI_NH_ASID asid=" + c.asid();
            case TLBI_NH_ALL -> "TLBI_NH_ALL";
            case CMD_SYNC -> "CMD_SYNC";
        };
    }
}

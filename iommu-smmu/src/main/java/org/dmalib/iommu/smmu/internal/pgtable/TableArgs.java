package org.dmalib.iommu.smmu.internal.pgtable;

import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.UnalignedException;

/**
 * The argument checks of one {@link ArmLpaePageTable}: each throws the typed error that names the
 * bad value, before the operation changes anything.
 *
 * <p>Thread-safety: immutable (the freed flag it reads is the table set's atomic).
 */
final class TableArgs {
    private final LpaeConfig config;
    private final TableSet set;
    private final long pgd;

    TableArgs(TableSet set, long pgd) {
        this.config = set.config;
        this.set = set;
        this.pgd = pgd;
    }

    /**
     * Checks a run of {@code pgcount} pages of {@code pgsize} from {@code iova} on a live table
     * and returns the level of {@code pgsize}'s entries.
     */
    int run(String op, long iova, long pgsize, long pgcount) {
        live();
        int level = config.levelOf(pgsize);
        if (level < 0) {
            throw new IllegalArgumentException(String.format(
                    "%s: pgsize=0x%x is not one of %s", op, pgsize, config.pageSizes()));
        }
        if (pgcount <= 0) {
            throw new IllegalArgumentException(op + ": pgcount=" + pgcount + " must be positive");
        }
        iova(op, iova);
        if ((iova & (pgsize - 1)) != 0) {
            throw new UnalignedException(String.format(
                    "%s: iova=0x%x is not a multiple of pgsize=0x%x", op, iova, pgsize));
        }
        return level;
    }

    /**
     * Refuses an output range {@code [paddr, paddr + size)} that is not {@code pgsize} aligned or
     * leaves the OAS, naming {@code paddr} (and, for page {@code page} of a page list, the page:
     * {@code page} is -1 otherwise). The note is built only when a check fails: a string per
     * page of a list would cost more than the checks.
     */
    void output(String op, long paddr, long size, long pgsize, int page) {
        if ((paddr & (pgsize - 1)) != 0) {
            throw new UnalignedException(String.format(
                    "%s: paddr=0x%x%s is not a multiple of pgsize=0x%x",
                    op, paddr, note(page), pgsize));
        }
        if (paddr < 0 || (paddr + size - 1) >>> config.oas() != 0) {
            throw new OutOfRangeException(String.format(
                    "%s: paddr=0x%x%s size=0x%x is beyond oas=%d",
                    op, paddr, note(page), size, config.oas()));
        }
    }

    private static String note(int page) {
        return page < 0 ? "" : " (page " + page + ")";
    }

    /** Refuses an {@code iova} beyond the input address size. */
    void iova(String op, long iova) {
        if (iova < 0 || iova >= config.inputLimit()) {
            throw new OutOfRangeException(String.format(
                    "%s: iova=0x%x is beyond ias=%d", op, iova, config.ias()));
        }
    }

    /** Refuses any use of a freed table. */
    void live() {
        if (set.isFreed()) {
            throw new IllegalStateException(String.format("page table ttbr=0x%x was freed", pgd));
        }
    }
}

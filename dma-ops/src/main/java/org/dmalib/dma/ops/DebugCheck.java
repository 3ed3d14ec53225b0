package org.dmalib.dma.ops;

/**
 * The misuse checks of Linux's DMA-API debugging ({@code kernel/dma/debug.c}, reference §7.2),
 * one constant per check, plus {@link #CPU_ACCESS_WHILE_DEVICE_OWNS} (ownership, which Linux
 * cannot see). Each constant carries Linux's message, which every report of it starts with.
 *
 * <p>The kernel-memory checks map to what this model has: the allocator's buffer pages are the
 * linear map; pages it never handed out (or took back) are the stack, memory the driver did not
 * obtain; a coherent allocation's pages are the vmalloc area (dma-iommu remaps them); regions
 * taken out with {@link PageAllocator#reserveRegion} (IOMMU tables, firmware) are kernel text
 * and rodata.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum DebugCheck {
    /** A map of memory outside the allocator's buffer pages (the bounce pool, outside RAM). */
    MAP_INVALID_AREA("device driver maps memory from invalid area"),
    /** A map of a coherent allocation's pages (Linux: the vmalloc area). */
    MAP_VMALLOC_AREA("device driver maps memory from vmalloc area"),
    /** A map of pages the allocator has not handed out (Linux: the stack). */
    MAP_STACK("device driver maps memory from stack"),
    /** A map of a reserved region (Linux: kernel text or rodata). */
    MAP_KERNEL_TEXT_OR_RODATA("device driver maps memory from kernel text or rodata"),
    /** A DMA segment longer than the device's {@code maxSegmentSize}. */
    SG_SEGMENT_TOO_LONG("mapping sg segment longer than device claims to support"),
    /** A DMA segment crossing the device's segment boundary. */
    SG_SEGMENT_ACROSS_BOUNDARY("mapping sg segment across boundary"),
    /** A device-writable map starting in a cache line where another such mapping starts. */
    CACHELINE_OVERLAP("cacheline tracking EEXIST, overlapping mappings aren't supported"),
    /** More overlapping mappings of one cache line than the tracker counts (reported once). */
    CACHELINE_OVERLAP_OVERFLOW("exceeded overlapping mappings of cacheline"),
    /** An unmap or free of {@link DmaDevice#DMA_MAPPING_ERROR}. */
    FREE_INVALID_ADDRESS("device driver tries to free an invalid DMA memory address"),
    /** An unmap or free that matches no mapping (never made, or unmapped already). */
    FREE_NOT_ALLOCATED("device driver tries to free DMA memory it has not allocated"),
    /** An unmap whose size differs from the mapping's. */
    FREE_DIFFERENT_SIZE("device driver frees DMA memory with different size"),
    /** An unmap by the wrong function (a list unmapped as a single buffer, and so on). */
    FREE_WRONG_FUNCTION("device driver frees DMA memory with wrong function"),
    /** A coherent free whose CPU address differs from the allocation's. */
    FREE_COHERENT_DIFFERENT_CPU_ADDRESS("device driver frees DMA memory with different CPU address"),
    /** A list unmap whose entry count differs from the one mapped. */
    UNMAP_SG_DIFFERENT_ENTRY_COUNT("device driver frees DMA sg list with different entry count"),
    /** An unmap whose direction differs from the mapping's. */
    FREE_DIFFERENT_DIRECTION("device driver frees DMA memory with different direction"),
    /** An unmap of an address whose map result was never checked with {@link DmaDevice#mappingError}. */
    MAP_ERROR_NOT_CHECKED("device driver failed to check map error"),
    /** A sync of an address inside no mapping. */
    SYNC_NOT_ALLOCATED("device driver tries to sync DMA memory it has not allocated"),
    /** A sync reaching past the end of its mapping. */
    SYNC_OUTSIDE_RANGE("device driver syncs DMA memory outside allocated range"),
    /** A sync whose direction differs from the mapping's (which is not BIDIRECTIONAL). */
    SYNC_DIFFERENT_DIRECTION("device driver syncs DMA memory with different direction"),
    /** A sync for the CPU of a TO_DEVICE mapping. */
    SYNC_DEVICE_READ_ONLY_FOR_CPU("device driver syncs device read-only DMA memory for cpu"),
    /** A sync for the device of a FROM_DEVICE mapping. */
    SYNC_DEVICE_WRITE_ONLY_TO_DEVICE("device driver syncs device write-only DMA memory to device"),
    /** A list sync whose entry count differs from the one mapped. */
    SYNC_SG_DIFFERENT_ENTRY_COUNT("device driver syncs DMA sg list with different entry count"),
    /** A detach with mappings or coherent allocations still pending. */
    PENDING_AT_DETACH("device driver has pending DMA allocations while released from device"),
    /**
     * A CPU access, through {@link CpuBuffer}, to bytes a streaming mapping has given to the
     * device (after map or sync for the device, before unmap or sync for the CPU).
     */
    CPU_ACCESS_WHILE_DEVICE_OWNS("CPU accesses DMA memory the device owns");

    private final String linuxMessage;

    DebugCheck(String linuxMessage) {
        this.linuxMessage = linuxMessage;
    }

    /** {@return the message Linux prints for this check (the start of every report's message)} */
    public String linuxMessage() {
        return linuxMessage;
    }
}

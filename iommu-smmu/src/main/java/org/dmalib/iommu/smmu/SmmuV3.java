package org.dmalib.iommu.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.smmu.Fields;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SteLayout;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.PageSizes;
import org.dmalib.iommu.api.internal.tlb.InvalidationPlanner;
import org.dmalib.iommu.api.spi.IommuDomains;
import org.dmalib.iommu.smmu.internal.cmdq.CommandQueue;
import org.dmalib.iommu.smmu.internal.cmdq.Commands;

/**
 * The Arm SMMUv3 driver for one SMMU ({@code arm-smmu-v3.c}): probes its features, owns its
 * stream table, command queue and event queue, allocates stage-1 paging domains (an ASID and an
 * ARM LPAE page table each), attaches them to streams, and reads faults.
 *
 * <pre>{@code
 * Smmu smmu = machine.addSmmu(SmmuConfig.gem5());
 * TableMemory tables = TableMemory.of(machine, 0x100_0000, 0x100_0000);
 * SmmuV3 driver = SmmuV3.probe(smmu, machine.cpu(0), tables);
 * IommuDomain domain = driver.allocateDomain(DomainType.UNMANAGED, InvalidationStrategy.LINUX,
 *         4096, 48);
 * driver.attach(domain, 7);
 * DmaPort port = machine.attach(7, Coherency.NON_COHERENT, smmu);
 * domain.map(0x1000_0000L, 0x200_0000L, 0x10_000, IommuProt.READ_WRITE);
 * }</pre>
 *
 * <p>Stream tables, context descriptors and both queues live in the {@link TableMemory} and are
 * written through the non-cacheable alias (RAM directly), the model of {@code dma_alloc_coherent}
 * memory for a non-coherent SMMU; the SMMU is told to read them non-cacheable (CR1 = 0, STE S1C*
 * = 0), on coherent and non-coherent SMMUs alike. One path for both is simpler and equally
 * correct: no CPU ever caches these lines, so no maintenance is needed and no attribute
 * mismatch arises. Page tables are written through the CPU; walks snoop when IDR0.COHACC.
 *
 * <p>Thread-safety: safe for concurrent use. Domains may be mapped and unmapped from several
 * threads (disjoint ranges per domain); command submission is serialised by one lock; attach,
 * detach and domain allocation are serialised.
 */
public final class SmmuV3 {
    // Q_BASE_RWA = bit 62, STRTAB_BASE_RA = bit 62: read/write-allocate hints (arm-smmu-v3.h)
    private static final long Q_BASE_RWA = 1L << 62;
    // a bound on CR0ACK / GBPA polls; Linux ARM_SMMU_POLL_TIMEOUT_US = 1 s; the model acks at once
    private static final int ACK_POLLS = 1_000;
    // the largest block TableMemory hands out bounds every structure the driver allocates:
    // 2^10 STEs of 64 B, 2^12 commands of 16 B, 2^11 events of 32 B = 64 KiB each
    private static final int MAX_STRTAB_LOG2 = 10;
    private static final int MAX_CMDQ_LOG2 = 12;
    private static final int MAX_EVTQ_LOG2 = 11;
    // stage-1 input sizes with one TTB: T0SZ 16..39 (ConfigCache / SMMUv3 CD.T0SZ range)
    private static final int MIN_IAS = 25;
    private static final int MAX_IAS = 48;

    private final Smmu smmu;
    private final Cpu cpu;
    private final TableMemory memory;
    private final SmmuFeatures features;
    private final CommandQueue queue;
    private final EventQueueReader events;
    private final StreamTable streams;
    private final AsidAllocator asids;
    private final PageTableFactory tables;
    private final long iotlbCapacity;
    private final Map<IommuDomain, SmmuDomain> domains = new ConcurrentHashMap<>();

    private SmmuV3(Smmu smmu, Cpu cpu, TableMemory memory, SmmuFeatures features,
            CommandQueue queue, EventQueueReader events, StreamTable streams,
            PageTableFactory tables) {
        this.smmu = smmu;
        this.cpu = cpu;
        this.memory = memory;
        this.features = features;
        this.queue = queue;
        this.events = events;
        this.streams = streams;
        this.asids = new AsidAllocator(features.asidBits());
        this.tables = tables;
        IotlbGeometry g = smmu.config().iotlb();
        this.iotlbCapacity = Math.max(g.mainTlbEntries(), g.microTlbEntries());
    }

    /**
     * Probes and resets {@code smmu} ({@code arm_smmu_device_probe}): reads its ID registers,
     * allocates and programs the linear stream table (every STE abort), the command queue and the
     * event queue in {@code memory}, invalidates cached configuration and TLBs
     * (CFGI_ALL, TLBI_NSNH_ALL, CMD_SYNC), sets GBPA to abort, and enables the SMMU.
     *
     * @param smmu an SMMU of the hardware model, not driven by another driver
     * @param cpu the CPU that writes page tables
     * @param memory where tables and queues come from
     * @return the driver
     * @throws SmmuProbeException if the SMMU lacks a feature the driver needs
     * @throws PageTableMemoryException if {@code memory} cannot hold the tables and queues;
     *     nothing is allocated and the SMMU is not touched
     * @throws NullPointerException if an argument is null
     */
    public static SmmuV3 probe(Smmu smmu, Cpu cpu, TableMemory memory) {
        return probe(smmu, cpu, memory, PageTableAdapter::allocate);
    }

    /** {@link #probe(Smmu, Cpu, TableMemory)} with the page tables a test chooses. */
    static SmmuV3 probe(Smmu smmu, Cpu cpu, TableMemory memory, PageTableFactory tables) {
        Objects.requireNonNull(smmu, "smmu");
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(memory, "memory");
        SmmuProgramming regs = SmmuProgramming.of(smmu);
        SmmuFeatures f = readFeatures(regs);
        PhysicalMemory ram = memory.ram();
        // every block before the first register write: a region too small changes nothing
        long[] blocks = allocateAll(memory, SteLayout.BYTES << f.streamTableLog2(),
                CMDQ_ENTRY_BYTES << f.commandQueueLog2(),
                EVENTQ_ENTRY_BYTES << f.eventQueueLog2());
        long strtab = blocks[0];
        long cmdq = blocks[1];
        long evtq = blocks[2];
        // Linux arm_smmu_device_reset: if the SMMU is on, abort traffic, then disable it
        if (Fields.test(CR0_SMMUEN, regs.readRegister(CR0))) {
            updateGbpa(regs);
        }
        writeCr0(regs, 0);
        regs.writeRegister(CR1, 0); // non-cacheable table and queue accesses (class Javadoc)
        // arm_smmu_device_reset: PTM (no broadcast TLB maintenance) and RECINVSID (record
        // C_BAD_STREAMID events)
        regs.writeRegister(CR2, (int) (CR2_PTM | CR2_RECINVSID));

        CommandQueue queue = new CommandQueue(regs, ram, cmdq, f.commandQueueLog2());
        StreamTable streams = new StreamTable(ram, memory, queue, strtab, f.streamTableLog2(),
                f.outputAddressBits(), f.coherentWalk());
        streams.initialise();

        regs.writeRegister64(STRTAB_BASE, STRTAB_BASE_RA | (strtab & STRTAB_BASE_ADDR));
        regs.writeRegister(STRTAB_BASE_CFG, (int) Fields.prep(STRTAB_BASE_CFG_LOG2SIZE,
                f.streamTableLog2())); // FMT = 0: linear
        regs.writeRegister64(CMDQ_BASE, Q_BASE_RWA | (cmdq & Q_BASE_ADDR)
                | Fields.prep(Q_BASE_LOG2SIZE, f.commandQueueLog2()));
        regs.writeRegister(CMDQ_PROD, 0);
        regs.writeRegister(CMDQ_CONS, 0);
        int enables = (int) CR0_CMDQEN;
        writeCr0(regs, enables);
        // invalidate any cached configuration and any stale TLB entry, each with a sync
        queue.submitEncoded(List.of(Commands.cfgiAll()));
        queue.submitEncoded(List.of(Commands.tlbiNsnhAll()));

        regs.writeRegister64(EVENTQ_BASE, Q_BASE_RWA | (evtq & Q_BASE_ADDR)
                | Fields.prep(Q_BASE_LOG2SIZE, f.eventQueueLog2()));
        regs.writeRegister(EVENTQ_PROD, 0);
        regs.writeRegister(EVENTQ_CONS, 0);
        enables |= (int) CR0_EVENTQEN;
        writeCr0(regs, enables);

        updateGbpa(regs); // traffic aborts whenever SMMUEN is clear from now on
        enables |= (int) CR0_SMMUEN;
        writeCr0(regs, enables);
        EventQueueReader reader = new EventQueueReader(
                EventQueueReader.Registers.of(regs), ram, evtq, f.eventQueueLog2());
        return new SmmuV3(smmu, cpu, memory, f, queue, reader, streams, tables);
    }

    /** Allocates a block of each of {@code sizes}, all or none: a failure frees those taken. */
    private static long[] allocateAll(TableMemory memory, int... sizes) {
        long[] blocks = new long[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            try {
                blocks[i] = memory.allocate(sizes[i]);
            } catch (PageTableMemoryException e) {
                for (int j = 0; j < i; j++) {
                    memory.free(blocks[j], sizes[j]);
                }
                throw e;
            }
        }
        return blocks;
    }

    private static SmmuFeatures readFeatures(SmmuProgramming regs) {
        long idr0 = regs.readRegister(IDR0) & 0xffff_ffffL;
        long idr1 = regs.readRegister(IDR1) & 0xffff_ffffL;
        long idr3 = regs.readRegister(IDR3) & 0xffff_ffffL;
        long idr5 = regs.readRegister(IDR5) & 0xffff_ffffL;
        if (!Fields.test(IDR0_S1P, idr0)) {
            throw new SmmuProbeException("IDR0=0x" + Long.toHexString(idr0)
                    + ": no stage-1 translation (S1P)");
        }
        // TTF: 2 = AArch64, 3 = AArch32 and AArch64 (IDR0_TTF_AARCH64 bit set in both)
        if ((Fields.get(IDR0_TTF, idr0) & IDR0_TTF_AARCH64) == 0) {
            throw new SmmuProbeException("IDR0.TTF=" + Fields.get(IDR0_TTF, idr0)
                    + ": AArch64 tables not supported");
        }
        // TTENDIAN: 0 = mixed, 2 = little-endian; 3 = big-endian only
        if (Fields.get(IDR0_TTENDIAN, idr0) == 3) {
            throw new SmmuProbeException("IDR0.TTENDIAN=3: little-endian tables not supported");
        }
        int cmdqs = (int) Fields.get(IDR1_CMDQS, idr1);
        int cmdqLog2 = Math.min(cmdqs, MAX_CMDQ_LOG2);
        if (cmdqLog2 <= Integer.numberOfTrailingZeros(CommandQueue.BATCH_ENTRIES)) {
            throw new SmmuProbeException("IDR1.CMDQS=" + cmdqs
                    + ": command queue size <= 64 entries not supported");
        }
        int sidBits = (int) Fields.get(IDR1_SIDSIZE, idr1);
        long granules = (Fields.test(IDR5_GRAN4K, idr5) ? 1L << 12 : 0)
                | (Fields.test(IDR5_GRAN16K, idr5) ? 1L << 14 : 0)
                | (Fields.test(IDR5_GRAN64K, idr5) ? 1L << 16 : 0);
        if (granules == 0) {
            throw new SmmuProbeException("IDR5=0x" + Long.toHexString(idr5) + ": no granule");
        }
        return new SmmuFeatures(
                Fields.test(IDR3_RIL, idr3),
                Fields.test(IDR0_COHACC, idr0),
                PageSizes.ofBitmap(granules),
                addressBits((int) Fields.get(IDR5_OAS, idr5)),
                Fields.test(IDR0_ASID16, idr0) ? 16 : 8,
                sidBits,
                Math.min(sidBits, MAX_STRTAB_LOG2),
                cmdqLog2,
                Math.min((int) Fields.get(IDR1_EVENTQS, idr1), MAX_EVTQ_LOG2));
    }

    private static void writeCr0(SmmuProgramming regs, int value) {
        regs.writeRegister(CR0, value);
        for (int i = 0; i < ACK_POLLS; i++) {
            if (regs.readRegister(CR0ACK) == value) {
                return;
            }
        }
        throw new SmmuProbeException("CR0=0x" + Integer.toHexString(value) + " not acknowledged");
    }

    private static void updateGbpa(SmmuProgramming regs) {
        // arm_smmu_update_gbpa(smmu, GBPA_ABORT, 0): set ABORT with UPDATE, wait for UPDATE to clear
        regs.writeRegister(GBPA, (int) (GBPA_ABORT | GBPA_UPDATE));
        for (int i = 0; i < ACK_POLLS; i++) {
            if (!Fields.test(GBPA_UPDATE, regs.readRegister(GBPA) & 0xffff_ffffL)) {
                return;
            }
        }
        throw new SmmuProbeException("GBPA update not acknowledged");
    }

    /** {@return the SMMU this driver drives} */
    public Smmu smmu() {
        return smmu;
    }

    /** {@return what probe read and chose} */
    public SmmuFeatures features() {
        return features;
    }

    /**
     * Allocates a stage-1 paging domain ({@code arm_smmu_domain_alloc_paging} and
     * {@code arm_smmu_domain_finalise_s1}): a fresh ASID and an empty ARM LPAE table whose walks
     * are coherent iff IDR0.COHACC. The domain's map issues no TLB invalidation; its unmap
     * invalidates by {@code strategy}.
     *
     * @param type what the domain is for
     * @param strategy how its invalidations are planned
     * @param granule the translation granule: 4, 16 or 64 KiB, one the SMMU supports
     * @param ias input address bits: 25 to 48
     * @return the domain (an IOMMU-core domain that also implements the SPI's gathering calls)
     * @throws IllegalArgumentException naming {@code granule} or {@code ias} if unsupported
     * @throws AsidExhaustedException if no ASID is free (nothing allocated)
     * @throws PageTableMemoryException if the table memory is exhausted (nothing allocated)
     * @throws NullPointerException if {@code type} or {@code strategy} is null
     */
    public IommuDomain allocateDomain(DomainType type, InvalidationStrategy strategy, int granule,
            int ias) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(strategy, "strategy");
        if (granule <= 0 || !features.granules().contains(granule)) {
            throw new IllegalArgumentException("granule=0x" + Integer.toHexString(granule)
                    + " is not one of the SMMU's granules " + features.granules());
        }
        if (ias < MIN_IAS || ias > MAX_IAS) {
            throw new IllegalArgumentException(
                    "ias=" + ias + " must be " + MIN_IAS + " to " + MAX_IAS);
        }
        int asid = asids.allocate();
        DomainPageTable table = null;
        try {
            DomainFlushOps flush = new DomainFlushOps(asid, strategy, granule,
                    features.rangeInvalidation(), iotlbCapacity, queue);
            table = tables.allocate(granule, ias, features.outputAddressBits(),
                    features.coherentWalk(), cpu, memory, flush);
            flush.setLevels(table.levels());
            SmmuDomain ops = new SmmuDomain(flush, table);
            IommuDomain domain = IommuDomains.create(ops, table.pageSizes(), type, strategy, ias);
            domains.put(domain, ops);
            return domain;
        } catch (RuntimeException e) {
            if (table != null) {
                table.free(); // its pgd goes back to the table memory: nothing allocated stays
            }
            asids.release(asid);
            throw e;
        }
    }

    /**
     * Attaches {@code domain} to stream {@code streamId} ({@code arm_smmu_attach_dev}): writes a
     * CD (T0SZ, TG0, IPS, ASID, TTB0, walk attributes) and a stage-1 STE pointing at it, then
     * CFGI_CD, CFGI_STE and CMD_SYNC. Devices on the stream translate through the domain when
     * this returns.
     *
     * @param domain a live domain of this driver
     * @param streamId a stream of the stream table, not attached
     * @throws DomainBusyException if {@code domain} is not a live domain of this driver
     * @throws StreamIdException if {@code streamId} is outside the stream table
     * @throws StreamInUseException if the stream is attached already
     */
    public void attach(IommuDomain domain, int streamId) {
        synchronized (streams) { // freeDomain cannot free the domain while it is being attached
            streams.attach(live(domain), streamId);
        }
    }

    /**
     * Detaches stream {@code streamId} ({@code arm_smmu_blocking_set_dev_pasid}): its STE becomes
     * an abort STE, CFGI_STE and CMD_SYNC; its traffic aborts without events when this returns.
     *
     * @param streamId an attached stream
     * @throws StreamIdException if {@code streamId} is outside the stream table
     * @throws StreamInUseException if the stream is not attached
     */
    public void detach(int streamId) {
        streams.detach(streamId);
    }

    /**
     * Frees a detached domain ({@code arm_smmu_domain_free_paging}): TLBI_NH_ASID and CMD_SYNC,
     * then its tables are freed and its ASID released. The domain throws
     * {@link IllegalStateException} from every call afterwards.
     *
     * @param domain a live domain of this driver with no stream attached
     * @throws DomainBusyException if a stream is still attached, or the domain is not live here
     */
    public void freeDomain(IommuDomain domain) {
        SmmuDomain d;
        // no attach can slip in between the check and the removal, and of two frees of one
        // domain the second finds it gone
        synchronized (streams) {
            d = live(domain);
            if (streams.hasStreams(d)) {
                throw new DomainBusyException(
                        "domain with asid=" + d.asid() + " still has streams attached");
            }
            domains.remove(domain);
        }
        queue.submit(InvalidationPlanner.asidWide(d.asid()));
        d.markFreed();
        d.table().free();
        asids.release(d.asid());
    }

    /**
     * Reads every new record of the event queue and hands the slots back to the SMMU
     * ({@code arm_smmu_evtq_thread}); the hardware's own log ({@link Smmu#events()}) is
     * unaffected.
     *
     * @return the faults, oldest first; empty if none
     */
    public List<SmmuFault> drainEvents() {
        return events.drain();
    }

    /** {@return the driver's counters, each field taken atomically} */
    public SmmuDriverCounters counters() {
        CommandQueue.QueueCounts q = queue.counts();
        return new SmmuDriverCounters(q.tlbiNhVa(), q.tlbiNhAsid(), q.tlbiNhAll(), q.cfgi(),
                q.syncs(), q.batches(), q.errors(), events.drained(), events.overflows());
    }

    /** Returns the stream table, whose monitor serialises attach and free, for tests here. */
    Object streamTable() {
        return streams;
    }

    /** Returns the command queue, for tests in this package. */
    CommandQueue commandQueue() {
        return queue;
    }

    /** Returns the driver's side of {@code domain}, for tests in this package. */
    SmmuDomain domainOps(IommuDomain domain) {
        return live(domain);
    }

    private SmmuDomain live(IommuDomain domain) {
        Objects.requireNonNull(domain, "domain");
        SmmuDomain d = domains.get(domain);
        if (d == null) {
            throw new DomainBusyException("domain " + domain
                    + " is not a live domain of this SMMU (freed, or another driver's)");
        }
        return d;
    }
}

package org.dmalib.hw;

/**
 * One CPU of the machine, seen from software: loads and stores through its private write-back
 * data cache.
 *
 * <p>Caches of all CPUs are coherent with each other (a store invalidates other CPUs' copies, a
 * load snoops a dirty line from another CPU), as on any SMP system. They are <em>not</em>
 * coherent with DMA masters on non-coherent streams: a store can sit dirty in a cache while RAM
 * holds older data, and RAM can hold data a device wrote while a cache still holds an older
 * line. Cache maintenance instructions are not part of this interface: only the architecture
 * coherency code may issue them.
 *
 * <p>Accesses may span cache lines. Every access checks its range against memory first and
 * throws {@link PhysicalAddressException} without touching anything if it is out of range.
 *
 * <p>Thread-safety: safe for concurrent use (the machine's coherence fabric serialises accesses),
 * although software normally drives one CPU from one thread.
 *
 * <p>Only the hardware model implements this interface.
 */
public interface Cpu {
    /** {@return this CPU's index, from 0} */
    int id();

    /** {@return the data cache line size in bytes} */
    int lineSize();

    /**
     * Loads one byte.
     *
     * @param paddr the physical address
     * @return the byte as this CPU sees it
     */
    byte loadByte(long paddr);

    /**
     * Stores one byte (write-allocate, write-back).
     *
     * @param paddr the physical address
     * @param value the byte
     */
    void storeByte(long paddr, byte value);

    /**
     * Loads a little-endian 64-bit word; {@code paddr} need not be aligned.
     *
     * @param paddr the physical address of the lowest byte
     * @return the word
     */
    long loadLong(long paddr);

    /**
     * Stores a little-endian 64-bit word; {@code paddr} need not be aligned.
     *
     * @param paddr the physical address of the lowest byte
     * @param value the word
     */
    void storeLong(long paddr, long value);

    /**
     * Atomically replaces the aligned 64-bit word at {@code paddr} with {@code update} if it
     * holds {@code expected} (arm64 {@code CAS}), through this CPU's cache like a store. Atomic
     * against every CPU and coherent DMA master; a non-coherent master sees the result only once
     * the line reaches RAM, like any store: cleaned and the clean completed by a barrier,
     * evicted, or written back by a snoop (another CPU's access to the line, a coherent
     * master's write to it).
     *
     * @param paddr the physical address, 8-byte aligned
     * @param expected the value the word must hold
     * @param update the new value
     * @return the value the word held before: the swap happened iff it equals {@code expected}
     */
    long compareAndSwapLong(long paddr, long expected, long update);

    /**
     * Loads {@code length} bytes starting at {@code paddr} into {@code dst}.
     *
     * @param paddr the first physical address
     * @param dst the destination
     * @param offset where in {@code dst} to start
     * @param length how many bytes, not negative
     * @throws IllegalArgumentException if {@code length} is negative (nothing is touched)
     * @throws PhysicalAddressException if the range is outside memory (nothing is touched)
     * @throws IndexOutOfBoundsException if the array range is invalid (nothing is touched)
     */
    void load(long paddr, byte[] dst, int offset, int length);

    /**
     * Stores {@code length} bytes from {@code src} starting at {@code paddr}.
     *
     * @param paddr the first physical address
     * @param src the data
     * @param offset where in {@code src} to start
     * @param length how many bytes, not negative
     * @throws IllegalArgumentException if {@code length} is negative (nothing is touched)
     * @throws PhysicalAddressException if the range is outside memory (nothing is touched)
     * @throws IndexOutOfBoundsException if the array range is invalid (nothing is touched)
     */
    void store(long paddr, byte[] src, int offset, int length);

    /**
     * Stores {@code length} zero bytes from {@code paddr}, as arm64's {@code clear_page} does
     * with {@code DC ZVA}: exactly {@link #store} of zeros, except that a whole cache line that
     * misses is allocated zeroed without being read from RAM first.
     *
     * @param paddr the first physical address
     * @param length how many bytes, not negative
     * @throws IllegalArgumentException if {@code length} is negative
     * @throws org.dmalib.hw.PhysicalAddressException if the range is outside memory (nothing
     *     is stored)
     */
    void zero(long paddr, long length);

    /**
     * Returns whether the line holding {@code paddr} is present in this CPU's cache; an
     * observation for tests and reports, not an architectural operation.
     *
     * @param paddr any address in the line
     * @return whether the line is cached
     */
    boolean isCached(long paddr);

    /**
     * Returns whether the line holding {@code paddr} is present and dirty in this CPU's cache
     * (holds data RAM does not have yet); an observation for tests and reports.
     *
     * @param paddr any address in the line
     * @return whether the line is dirty here
     */
    boolean isDirty(long paddr);
}

package org.dmalib.examples;

/**
 * A request {@link BlockDriver#reap()} completed. Immutable and thread-safe.
 *
 * @param tag the value {@link BlockDriver#submit} returned for it
 * @param request the request
 * @param ok whether the device completed it without error
 */
public record BlockCompletion(int tag, BlockRequest request, boolean ok) {}

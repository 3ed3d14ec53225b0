package org.dmalib.examples;

/** Placeholder replaced by the copy-engine example in this session. */
final class Examples {
    private Examples() {}
}

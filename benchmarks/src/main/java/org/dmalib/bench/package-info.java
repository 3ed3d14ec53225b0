/**
 * JMH benchmarks of dmalib, each against a baseline measured in the same run, and the
 * {@link org.dmalib.bench.Report} that runs them and prints the ratios (see BENCHMARKS.md).
 * Baselines live here, never in the library's API.
 */
package org.dmalib.bench;

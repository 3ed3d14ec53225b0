/**
 * Probes of the module system's walls, run from a third-party-style driver module.
 *
 * <p>Not exported: nothing here is API. {@link org.dmalib.examples.walls.WallProbe} is a main
 * class ({@code java -m org.dmalib.examples/org.dmalib.examples.walls.WallProbe}) that tries to
 * reach, by reflection, one class of every package a dmalib module does not export to everyone,
 * and reports each refusal. The probing code lives in this module's main code so that the caller
 * the module system checks is unambiguously {@code org.dmalib.examples}.
 */
package org.dmalib.examples.walls;

/** Example drivers. */
package org.dmalib.examples;

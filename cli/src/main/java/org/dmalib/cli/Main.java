package org.dmalib.cli;

/** The dmalib command's entry point. */
public final class Main {
    private Main() {}

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.out.println("dmalib");
    }
}

/**
 * The Arm SMMUv3 driver: probes the SMMU, owns its stream table and queues, builds its commands
 * (range TLBI included) and implements the IOMMU core's domain SPI with ARM LPAE stage-1 page
 * tables (in a package of its own, not exported).
 */
module org.dmalib.iommu.smmu {
    requires transitive org.dmalib.hw;
    requires transitive org.dmalib.iommu.api;
    requires org.dmalib.arch.coherency;
    requires static transitive com.google.errorprone.annotations;
    // Flight Recorder events of invalidations and submissions (...internal.jfr, not exported: JFR
    // opens an event's package to itself when it registers the class).
    requires jdk.jfr;

    exports org.dmalib.iommu.smmu;
}

package org.dmalib.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A third-party driver built the way the module system cannot police: compiled on the class path
 * against dmalib's jars, by the JDK's {@code javac}. One class keeps to the DMA API; one reaches
 * for a cache-maintenance primitive and the IOTLB gather by type, and for an internal class by
 * name; one is declared inside dmalib's API package. On the class path all of it compiles.
 */
final class ThirdPartyDriver {
    /** The driver that uses only exported API. */
    static final String GOOD = """
            package com.acme.nic;

            import org.dmalib.dma.ops.CpuBuffer;
            import org.dmalib.dma.ops.DmaDevice;
            import org.dmalib.hw.Cpu;
            import org.dmalib.iommu.api.DmaDirection;

            public final class GoodDriver {
                private final DmaDevice dev;

                public GoodDriver(DmaDevice dev) {
                    this.dev = dev;
                }

                public void send(Cpu cpu, CpuBuffer packet) {
                    dev.mapSingle(cpu, packet, DmaDirection.TO_DEVICE).unmap(cpu);
                }
            }
            """;

    /** The driver that reaches past the API: two types in descriptors only, one name in a string. */
    static final String SNEAKY = """
            package com.acme.nic;

            import org.dmalib.hw.cache.CacheMaintenance;
            import org.dmalib.iommu.api.internal.tlb.IotlbGather;

            public final class SneakyDriver {
                IotlbGather gather;

                public void clean(CacheMaintenance dc) {
                }

                public Class<?> probe() throws ClassNotFoundException {
                    return Class.forName("org.dmalib.dma.ops.internal.iommu.IommuDma");
                }
            }
            """;

    /** A class slipped into dmalib's API package, for its package-private access. */
    static final String SPOOF = """
            package org.dmalib.dma.ops;

            public final class Spoof {
            }
            """;

    private ThirdPartyDriver() {}

    /**
     * Compiles {@code sources} (class name to source) on the class path of this test JVM, which
     * holds dmalib's jars, into {@code dir}.
     *
     * @return {@code dir}
     */
    static Path compile(Path dir, Map<String, String> sources) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("--release", "17", "-d", dir.toString(),
                "-cp", System.getProperty("java.class.path")));
        Path src = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-src"));
        for (Map.Entry<String, String> e : new TreeMap<>(sources).entrySet()) {
            Path file = src.resolve(e.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, e.getValue(), StandardCharsets.UTF_8);
            args.add(file.toString());
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        int exit = javac.run(null, out, out, args.toArray(new String[0]));
        assertEquals(0, exit, () -> "javac failed:\n" + log.toString(StandardCharsets.UTF_8));
        return dir;
    }

    /** {@return all three classes: the good driver, the sneaky one and the spoof} */
    static Map<String, String> all() {
        return Map.of("com.acme.nic.GoodDriver", GOOD, "com.acme.nic.SneakyDriver", SNEAKY,
                "org.dmalib.dma.ops.Spoof", SPOOF);
    }
}

package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.Machine;
import org.junit.jupiter.api.Test;

/** Reading class files' constant pools: every way a class names another, and bad files. */
class ClassRefsTest {
    /**
     * Names {@code Machine} only in descriptors (a field and its getter), {@code Cpu} only in a
     * generic signature, {@code DmaPort} only as an array class, and an internal class in a
     * string; its 8-byte constants take two pool entries each, so a misread would misalign
     * everything after them.
     */
    static final class DescriptorsOnly {
        private Machine machine;
        private final List<Cpu> cpus = new ArrayList<>();

        Machine machine() {
            return machine;
        }

        int count() {
            return cpus.size();
        }

        long mix(long x) {
            return x * 123_456_789_012L + (long) (x * 1.5e300);
        }

        Class<?> ports() {
            return DmaPort[][].class;
        }

        String name() {
            return "org.dmalib.hw.internal.CpuCore";
        }
    }

    private static byte[] bytesOf(Class<?> c) throws IOException {
        String file = c.getName().substring(c.getPackageName().length() + 1) + ".class";
        try (InputStream in = c.getResourceAsStream(file)) {
            return in.readAllBytes();
        }
    }

    private static String error(byte[] bytes) {
        return assertThrows(IllegalArgumentException.class, () -> ClassRefs.parse(bytes, "x.class"))
                .getMessage();
    }

    @Test
    void typesNamedOnlyInDescriptorsSignaturesAndArrayClassesAreFound() throws IOException {
        ClassRefs refs = ClassRefs.parse(bytesOf(DescriptorsOnly.class), "DescriptorsOnly.class");
        assertEquals(DescriptorsOnly.class.getName(), refs.declared());
        assertTrue(refs.types().containsAll(Set.of("org.dmalib.hw.Machine", "org.dmalib.hw.Cpu",
                "org.dmalib.hw.DmaPort", "java.util.List", "java.util.ArrayList",
                DescriptorsOnly.class.getName())), refs.types()::toString);
        for (String t : refs.types()) {
            assertTrue(t.matches("[\\w$]+(\\.[\\w$]+)*"), "a binary name: " + t);
        }
        assertEquals(List.of("org.dmalib.hw.internal.CpuCore"), refs.strings());
    }

    @Test
    void aCommandOfThisModuleNamesTheDriverPlanItReadsAndItsOptions() throws IOException {
        ClassRefs refs = ClassRefs.parse(bytesOf(PlanCommand.class), "PlanCommand.class");
        assertEquals("org.dmalib.cli.PlanCommand", refs.declared());
        assertTrue(refs.types().contains("org.dmalib.iommu.smmu.UnmapPlan"), refs.types()::toString);
        assertTrue(refs.strings().contains("--iova"), refs.strings()::toString);
    }

    @Test
    void bytesThatAreNoClassFileAreRefusedNamingTheFileAndWhatIsWrong() throws IOException {
        assertEquals("x.class: not a class file (it starts 0x01020304, not 0xcafebabe)",
                error(new byte[] {1, 2, 3, 4, 0, 0, 0, 61}));
        assertEquals("x.class: not a class file (it ends inside its header or constant pool, "
                + "at byte 0)", error(new byte[0]));
        byte[] cut = Arrays.copyOf(bytesOf(DescriptorsOnly.class), 30);
        assertEquals("x.class: not a class file (it ends inside its header or constant pool, "
                + "at byte 30)", error(cut));
        // one pool entry (count 2) of tag 2, which no class file version defines
        ByteBuffer badTag = ByteBuffer.allocate(11).putInt(0xCAFEBABE).putShort((short) 0)
                .putShort((short) 61).putShort((short) 2).put((byte) 2);
        assertEquals("x.class: not a class file (constant pool entry 1 has tag 2)",
                error(badTag.array()));
        // this_class names a UTF-8 entry, not a class entry
        ByteBuffer notAClass = ByteBuffer.allocate(18).putInt(0xCAFEBABE).putShort((short) 0)
                .putShort((short) 61).putShort((short) 2).put((byte) 1).putShort((short) 1)
                .put((byte) 'A').putShort((short) 0).putShort((short) 1);
        assertEquals("x.class: not a class file (this_class 1 is not a class entry)",
                error(notAClass.array()));
    }

    /** A class file of {@code name} whose pool holds {@code texts} as UTF-8 constants too. */
    private static byte[] classFile(String name, String... texts) {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf(name);
        for (String t : texts) {
            c.utf8(t);
        }
        return c.bytes(self);
    }

    @Test
    void everyClassOfAGenericSignatureIsFoundAndAnLInsideANameStartsNoOther() {
        ClassRefs refs = ClassRefs.parse(classFile("p/A",
                "(Lcom/acme/Lorg/dmalib/hw/cache/X;)V",
                "Ljava/util/Map<Ljava/lang/String;Lorg/dmalib/hw/Cpu;>;",
                "Lp/Outer<TT;>.Inner;",
                "LineNumberTable", "Look; no class here"), "A.class");
        assertEquals("p.A", refs.declared());
        assertEquals(Set.of("p.A", "com.acme.Lorg.dmalib.hw.cache.X", "java.util.Map",
                "java.lang.String", "org.dmalib.hw.Cpu", "p.Outer"), refs.types());
        assertEquals(List.of(), refs.strings());
    }
}

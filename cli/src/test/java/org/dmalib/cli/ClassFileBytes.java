package org.dmalib.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds the start of a class file by hand: the header, a constant pool of the entries added (in
 * order, from index 1), the access flags and {@code this_class}; no fields, methods or attributes
 * follow, which {@link ClassRefs} does not read. Not thread-safe.
 */
final class ClassFileBytes {
    private final ByteArrayOutputStream pool = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(pool);
    private int next = 1;

    /** {@return the index of a new {@code CONSTANT_Utf8} holding {@code text}} */
    int utf8(String text) {
        return entry(1, () -> out.writeUTF(text), 1);
    }

    /** {@return the index of a new {@code CONSTANT_Class} whose name is entry {@code nameIndex}} */
    int classEntry(int nameIndex) {
        return entry(7, () -> out.writeShort(nameIndex), 1);
    }

    /** {@return the index of a new class entry (and its name) for {@code internalName}} */
    int classOf(String internalName) {
        return classEntry(utf8(internalName));
    }

    /** {@return the index of a new {@code CONSTANT_String} whose value is entry {@code textIndex}} */
    int stringEntry(int textIndex) {
        return entry(8, () -> out.writeShort(textIndex), 1);
    }

    /** {@return the index of a new string constant (and its text) {@code text}} */
    int string(String text) {
        return stringEntry(utf8(text));
    }

    /** {@return the index of a new {@code CONSTANT_Long}, which takes two pool entries} */
    int longEntry(long value) {
        return entry(5, () -> out.writeLong(value), 2);
    }

    /** {@return the class file whose {@code this_class} is entry {@code thisClass}} */
    byte[] bytes(int thisClass) {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        DataOutputStream f = new DataOutputStream(file);
        try {
            f.writeInt(0xCAFEBABE);
            f.writeShort(0); // minor_version
            f.writeShort(61); // major_version: Java 17
            f.writeShort(next); // constant_pool_count: one more than the last index
            out.flush();
            pool.writeTo(f);
            f.writeShort(0x21); // ACC_PUBLIC | ACC_SUPER
            f.writeShort(thisClass);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file.toByteArray();
    }

    /** {@return a class file declaring {@code internalName} that names nothing else} */
    static byte[] declaring(String internalName) {
        ClassFileBytes c = new ClassFileBytes();
        return c.bytes(c.classOf(internalName));
    }

    private interface Body {
        void write() throws IOException;
    }

    private int entry(int tag, Body body, int slots) {
        int index = next;
        try {
            out.writeByte(tag);
            body.write();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        next += slots;
        return index;
    }
}

package org.dmalib.cli;

import java.nio.ByteBuffer;
import java.nio.BufferUnderflowException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one class file names, read from its constant pool (JVMS 4.4): the class it declares, every
 * class it refers to (class entries, and the types inside every descriptor and generic signature:
 * of fields, methods, annotations, local variables) and its string constants. A class cannot use
 * a type without naming it in its constant pool, so this finds every compile-time dependency; a
 * reflective one shows as a string constant at most.
 *
 * <p>The pool is read as the JVM would, without verifying the rest of the file. Immutable
 * (the parser hands over unmodifiable views of collections it keeps no reference to);
 * thread-safe.
 *
 * @param declared the binary name of the class the file declares, dotted ({@code a.b.C$D})
 * @param types the binary names of the classes it refers to, dotted, sorted; arrays as their
 *     element type, its own name included
 * @param strings its {@code CONSTANT_String} values, in pool order
 */
record ClassRefs(String declared, Set<String> types, List<String> strings) {
    // class files start with 0xCAFEBABE (JVMS 4.1)
    private static final int MAGIC = 0xCAFEBABE;
    // constant pool tags (JVMS 4.4, Table 4.4-B)
    private static final int UTF8 = 1;
    private static final int INTEGER = 3;
    private static final int FLOAT = 4;
    private static final int LONG = 5;
    private static final int DOUBLE = 6;
    private static final int CLASS = 7;
    private static final int STRING = 8;
    private static final int FIELD_REF = 9;
    private static final int METHOD_REF = 10;
    private static final int INTERFACE_METHOD_REF = 11;
    private static final int NAME_AND_TYPE = 12;
    private static final int METHOD_HANDLE = 15;
    private static final int METHOD_TYPE = 16;
    private static final int DYNAMIC = 17;
    private static final int INVOKE_DYNAMIC = 18;
    private static final int MODULE = 19;
    private static final int PACKAGE = 20;

    /**
     * Reads the constant pool of a class file.
     *
     * @param bytes the class file
     * @param where names the file in the error message
     * @return what the class names
     * @throws IllegalArgumentException naming {@code where} if the bytes are not a class file or
     *     its constant pool is cut short or malformed
     */
    static ClassRefs parse(byte[] bytes, String where) {
        ByteBuffer in = ByteBuffer.wrap(bytes); // big-endian, as class files are
        try {
            int magic = in.getInt();
            if (magic != MAGIC) {
                throw new IllegalArgumentException(String.format(
                        "%s: not a class file (it starts 0x%08x, not 0xcafebabe)", where, magic));
            }
            in.getShort(); // minor_version
            in.getShort(); // major_version
            int count = Short.toUnsignedInt(in.getShort());
            int[] tags = new int[count];
            String[] utf8 = new String[count];
            int[] classNames = new int[count]; // CONSTANT_Class: its name's index
            List<Integer> stringIndexes = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                int tag = Byte.toUnsignedInt(in.get());
                tags[i] = tag;
                switch (tag) {
                    case UTF8 -> utf8[i] = readUtf8(in);
                    case CLASS -> classNames[i] = Short.toUnsignedInt(in.getShort());
                    case STRING -> stringIndexes.add(Short.toUnsignedInt(in.getShort()));
                    case METHOD_TYPE, MODULE, PACKAGE -> in.getShort();
                    case METHOD_HANDLE -> skip(in, 3);
                    case INTEGER, FLOAT, FIELD_REF, METHOD_REF, INTERFACE_METHOD_REF,
                            NAME_AND_TYPE, DYNAMIC, INVOKE_DYNAMIC -> skip(in, 4);
                    case LONG, DOUBLE -> {
                        skip(in, 8);
                        i++; // an 8-byte constant takes two entries (JVMS 4.4.5)
                    }
                    default -> throw new IllegalArgumentException(String.format(
                            "%s: not a class file (constant pool entry %d has tag %d)", where, i, tag));
                }
            }
            in.getShort(); // access_flags
            int thisClass = Short.toUnsignedInt(in.getShort());
            String declared = className(utf8, tags, classNames, thisClass, where);
            Set<String> types = new TreeSet<>();
            List<String> strings = new ArrayList<>(stringIndexes.size());
            boolean[] isString = new boolean[count];
            for (int s : stringIndexes) {
                strings.add(text(utf8, s, where));
                isString[s] = true;
            }
            for (int i = 1; i < count; i++) {
                if (tags[i] == CLASS) {
                    addClassEntry(types, text(utf8, classNames[i], where));
                } else if (tags[i] == UTF8 && !isString[i]) {
                    addDescriptorTypes(types, utf8[i]);
                }
            }
            return new ClassRefs(declared, Collections.unmodifiableSet(types),
                    Collections.unmodifiableList(strings));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException(where + ": not a class file (it ends inside its "
                    + "header or constant pool, at byte " + bytes.length + ")", e);
        }
    }

    private static String className(String[] utf8, int[] tags, int[] classNames, int index,
            String where) {
        if (index <= 0 || index >= tags.length || tags[index] != CLASS) {
            throw new IllegalArgumentException(String.format(
                    "%s: not a class file (this_class %d is not a class entry)", where, index));
        }
        return text(utf8, classNames[index], where).replace('/', '.');
    }

    private static String text(String[] utf8, int index, String where) {
        if (index <= 0 || index >= utf8.length || utf8[index] == null) {
            throw new IllegalArgumentException(String.format(
                    "%s: not a class file (entry %d should be a UTF-8 constant)", where, index));
        }
        return utf8[index];
    }

    /** A class entry holds an internal name, or an array descriptor ({@code [[Lp/C;}, {@code [I}). */
    private static void addClassEntry(Set<String> types, String name) {
        if (name.startsWith("[")) {
            addDescriptorTypes(types, name);
        } else {
            types.add(name.replace('/', '.'));
        }
    }

    /**
     * Adds every {@code L...;} class type in a descriptor or signature. Generic signatures nest
     * type arguments ({@code Lp/List<Lp/C;>;}) and name inner classes with {@code .}
     * ({@code Lp/Outer<TT;>.Inner;}): each class name ends at {@code ;}, {@code <} or {@code .}.
     * Text that is not a descriptor (a method's name, an attribute's name) rarely holds such a
     * token; one that does names a class at worst, which a dependency scan may report.
     */
    private static void addDescriptorTypes(Set<String> types, String text) {
        int i = text.indexOf('L');
        while (i >= 0) {
            int end = i + 1;
            while (end < text.length() && ";<.".indexOf(text.charAt(end)) < 0) {
                end++;
            }
            // a class name is cut short by the end of the text only where it is no descriptor
            String name = end < text.length() ? text.substring(i + 1, end) : "";
            if (name.indexOf('/') > 0 && isInternalName(name)) {
                types.add(name.replace('/', '.'));
                i = text.indexOf('L', end); // an 'L' inside the name starts no other one
            } else {
                i = text.indexOf('L', i + 1);
            }
        }
    }

    /** Segments of Java identifier characters separated by single slashes. */
    private static boolean isInternalName(String name) {
        boolean start = true;
        for (int k = 0; k < name.length(); k++) {
            char c = name.charAt(k);
            if (c == '/') {
                if (start) {
                    return false;
                }
                start = true;
            } else if (start ? Character.isJavaIdentifierStart(c) : Character.isJavaIdentifierPart(c)) {
                start = false;
            } else {
                return false;
            }
        }
        return !start;
    }

    /** A {@code CONSTANT_Utf8}: a length, then modified UTF-8 (JVMS 4.4.7). */
    private static String readUtf8(ByteBuffer in) {
        int length = Short.toUnsignedInt(in.getShort());
        byte[] raw = new byte[length];
        in.get(raw);
        // modified UTF-8 differs from UTF-8 only for NUL and supplementary characters, which
        // no class or package name holds; decoding them loosely cannot hide a dmalib name
        return new String(raw, StandardCharsets.UTF_8);
    }

    private static void skip(ByteBuffer in, int n) {
        if (in.remaining() < n) {
            throw new BufferUnderflowException();
        }
        in.position(in.position() + n);
    }
}

package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Constant pools built by hand: a text shared by a class entry and a string, texts that look
 * like class names but are none, and pool indexes that point past the pool or at the wrong kind
 * of entry.
 */
class ClassRefsPoolTest {
    private static String error(byte[] bytes) {
        return assertThrows(IllegalArgumentException.class, () -> ClassRefs.parse(bytes, "x.class"))
                .getMessage();
    }

    @Test
    void anArrayClassWhoseTextIsAlsoAStringConstantNamesItsElementType() {
        // javac shares one UTF-8 entry between Elem[].class and the string "[Lcom/acme/Elem;"
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("p/A");
        int text = c.utf8("[Lcom/acme/Elem;");
        c.classEntry(text);
        c.stringEntry(text);
        ClassRefs refs = ClassRefs.parse(c.bytes(self), "A.class");
        assertEquals(Set.of("p.A", "com.acme.Elem"), refs.types());
        assertEquals(List.of("[Lcom/acme/Elem;"), refs.strings());
    }

    @Test
    void onlyWellFormedInternalNamesEndedInTheTextAreTypes() {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("p/A");
        c.utf8("Lcom/acme/Ok;");
        c.utf8("Lcom/acme/Tail"); // cut short by the end of the text: no descriptor
        c.utf8("Lcom//acme/X;"); // an empty segment
        c.utf8("Lcom/acme/;"); // ends with a slash
        c.utf8("Lcom/1acme/X;"); // a segment that starts with a digit
        c.utf8("Lcom/ac-me/X;"); // a character no identifier holds
        ClassRefs refs = ClassRefs.parse(c.bytes(self), "A.class");
        assertEquals(Set.of("p.A", "com.acme.Ok"), refs.types());
    }

    @Test
    void aThisClassJustPastThePoolIsNoClassEntry() {
        ClassFileBytes c = new ClassFileBytes();
        c.classOf("p/A"); // entries 1 and 2: the pool count is 3
        assertEquals("x.class: not a class file (this_class 3 is not a class entry)", error(c.bytes(3)));
    }

    @Test
    void aClassEntryNamingAnIndexJustPastThePoolIsRefused() {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classEntry(2); // the only entry: the pool count is 2
        assertEquals("x.class: not a class file (entry 2 should be a UTF-8 constant)",
                error(c.bytes(self)));
    }

    @Test
    void aClassEntryOrStringNamingAnotherClassEntryIsRefused() {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("p/A");
        c.classEntry(self);
        assertEquals("x.class: not a class file (entry 2 should be a UTF-8 constant)",
                error(c.bytes(self)));
        ClassFileBytes s = new ClassFileBytes();
        int own = s.classOf("p/A");
        s.stringEntry(own);
        assertEquals("x.class: not a class file (entry 2 should be a UTF-8 constant)",
                error(s.bytes(own)));
    }

    @Test
    void aFileEndingInsideAnEightByteConstantIsCutShort() {
        ClassFileBytes c = new ClassFileBytes();
        int self = c.classOf("p/A");
        c.longEntry(0x0102030405060708L);
        byte[] whole = c.bytes(self);
        // header 10, "p/A" 6, its class 3, the long's tag 1 and half of its 8 bytes
        byte[] cut = Arrays.copyOf(whole, 24);
        assertEquals("x.class: not a class file (it ends inside its header or constant pool, "
                + "at byte 24)", error(cut));
        assertEquals("p.A", ClassRefs.parse(whole, "A.class").declared());
    }
}

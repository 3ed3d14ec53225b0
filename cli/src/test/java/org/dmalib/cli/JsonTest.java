package org.dmalib.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The strict JSON parser: what it accepts, exactly, and the one-line message of each error. */
class JsonTest {
    private static String error(String input) {
        return assertThrows(IllegalArgumentException.class, () -> Json.parse(input, "stdin"))
                .getMessage();
    }

    @Test
    void objectsArraysAndNumbersKeepTheirOrderAndText() {
        Json.Obj o = assertInstanceOf(Json.Obj.class,
                Json.parse(" {\"b\" : [1, -0, 18446744073709551615],\n\"a\":{}}\t", "stdin"));
        assertEquals(List.of("b", "a"), List.copyOf(o.members().keySet()));
        Json.Arr b = assertInstanceOf(Json.Arr.class, o.members().get("b"));
        assertEquals("[1, -0, 18446744073709551615]", b.text());
        assertEquals(List.of(BigInteger.ONE, BigInteger.ZERO,
                        new BigInteger("18446744073709551615")),
                b.elements().stream().map(v -> ((Json.Num) v).integer()).toList());
        assertEquals("{}", o.members().get("a").text());
    }

    @Test
    void fractionsAndExponentsAreNumbersButNotIntegers() {
        for (String n : new String[] {"4096.0", "4.096e3", "1E2", "-1e-2"}) {
            Json.Num num = assertInstanceOf(Json.Num.class, Json.parse(n, "stdin"));
            assertNull(num.integer(), n);
            assertEquals(n, num.text());
        }
    }

    @Test
    void stringsAndLiteralsAreOtherValuesAndKeysAreDecoded() {
        Json.Obj o = assertInstanceOf(Json.Obj.class, Json.parse(
                "{\"gr\\u0061nule\":\"4K\",\"t\":true,\"f\":false,\"n\":null,\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
                "stdin"));
        assertEquals(List.of("granule", "t", "f", "n", "e"), List.copyOf(o.members().keySet()));
        assertEquals(new Json.Other("\"4K\""), o.members().get("granule"));
        assertEquals(new Json.Other("true"), o.members().get("t"));
        assertEquals(new Json.Other("null"), o.members().get("n"));
    }

    @Test
    void aDuplicateKeyIsNamedWithItsPath() {
        assertEquals("a=2: duplicate key", error("{\"a\":1,\"a\":2}"));
        assertEquals("s[1].p=5: duplicate key", error("{\"s\":[{\"p\":1},{\"p\":4,\"p\":5}]}"));
    }

    @Test
    void syntaxErrorsNameLineColumnAndCharacter() {
        assertEquals("stdin:1:1=(end of input): expected a JSON value", error(""));
        assertEquals("stdin:1:9=(end of input): expected a key in double quotes", error("{\"a\":1, "));
        assertEquals("stdin:2:3='x': expected ',' or '}'", error("{\"a\":1\n  x}"));
        assertEquals("stdin:1:9='x': expected nothing after the JSON value", error("{\"a\":1} x"));
        assertEquals("stdin:1:7='1': a number may not have a leading zero", error("{\"a\":01}"));
        assertEquals("stdin:1:7=(end of input): expected a digit", error("{\"a\":-"));
        assertEquals("stdin:1:8='}': expected a digit", error("{\"a\":1.}"));
        assertEquals("stdin:1:2='a': expected a key in double quotes", error("{a:1}"));
        assertEquals("stdin:1:5='1': expected ':' after the key", error("{\"a\"1}"));
        assertEquals("stdin:1:4=']': expected a JSON value", error("[1,]"));
        assertEquals("stdin:1:1='t': expected a JSON value", error("tru"));
        assertEquals("stdin:1:3=U+000A: a control character must be escaped in a string",
                error("[\"\n\"]"));
        assertEquals("stdin:1:4='x': unknown escape in a string", error("[\"\\x\"]"));
        assertEquals("stdin:1:6='g': expected 4 hex digits after \\u", error("[\"\\u0g00\"]"));
        // a fullwidth digit is a digit to Character.digit, never to JSON
        assertEquals("stdin:1:6=U+FF10: expected 4 hex digits after \\u",
                error("[\"\\u0\uFF1000\"]"));
        Json.Obj hex = assertInstanceOf(Json.Obj.class,
                Json.parse("{\"\\u004A\\u004b\":1}", "stdin")); // either case of a hex letter
        assertEquals(List.of("JK"), List.copyOf(hex.members().keySet()));
        assertEquals("stdin:1:4=(end of input): unterminated string", error("[\"a"));
        assertEquals("stdin:1:1=U+FEFF: expected a JSON value", error("\uFEFF{}"));
        // a space is named, not quoted (a quoted blank reads as nothing); the tilde is shown
        assertEquals("stdin:1:3=U+0020: expected a digit", error("[- 1]"));
        assertEquals("stdin:1:2='~': expected a JSON value", error("[~]"));
    }

    @Test
    void nestingIsLimited() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertEquals(ok, Json.parse(ok, "stdin").text());
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertEquals("stdin:1:" + (Json.MAX_DEPTH + 1) + "='[': nested deeper than "
                + Json.MAX_DEPTH, error(deep));
    }

    @Test
    void quoteMakesOneShortLine() {
        assertEquals("[1, 2]", Json.quote("[1,\n\t  2]"));
        assertEquals("{\"a\":1}", Json.quote("  {\"a\":1}\n"));
        assertEquals("a\\u0007b", Json.quote("a\u0007b"));
        assertEquals("a\\u000ab\\u0009\\u007f", Json.printable("a\nb\t\u007f"));
        String cut = Json.quote("x".repeat(100));
        assertEquals(Json.QUOTE_LIMIT, cut.length());
        assertEquals("x".repeat(Json.QUOTE_LIMIT - 3) + "...", cut);
    }

    @Test
    void whitespaceMayStandInsideEmptyContainersAndAroundElements() {
        // RFC 8259: insignificant whitespace is allowed before or after any structural character
        assertEquals("{ }", Json.parse("{ }", "stdin").text());
        assertEquals("[ ]", Json.parse("[ ]", "stdin").text());
        Json.Arr a = assertInstanceOf(Json.Arr.class, Json.parse("[1 ,\r\n2\t]", "stdin"));
        assertEquals(List.of(BigInteger.ONE, BigInteger.TWO),
                a.elements().stream().map(v -> ((Json.Num) v).integer()).toList());
        Json.Obj o = assertInstanceOf(Json.Obj.class, Json.parse("{\"a\" : [ ] , \"b\":{ } }", "stdin"));
        assertEquals(List.of("a", "b"), List.copyOf(o.members().keySet()));
    }

    @Test
    void aSpaceInAStringNeedsNoEscape() {
        // only U+0000 to U+001F must be escaped; U+0020 is the first plain character
        Json.Obj o = assertInstanceOf(Json.Obj.class, Json.parse("{\"a b\":\" \"}", "stdin"));
        assertEquals(new Json.Other("\" \""), o.members().get("a b"));
        assertEquals("stdin:1:3=U+001F: a control character must be escaped in a string",
                error("[\"\u001f\"]"));
    }

    @Test
    void objectsCountTowardsTheNestingLimitLikeArrays() {
        String ok = "{\"a\":".repeat(Json.MAX_DEPTH - 1) + "{}" + "}".repeat(Json.MAX_DEPTH - 1);
        assertEquals(ok, Json.parse(ok, "stdin").text());
        String deep = "{\"a\":".repeat(Json.MAX_DEPTH) + "{}" + "}".repeat(Json.MAX_DEPTH);
        assertEquals("stdin:1:" + (5 * Json.MAX_DEPTH + 1) + "='{': nested deeper than "
                + Json.MAX_DEPTH, error(deep));
    }

    @Test
    void messagesStayOnOneLine() {
        // a carriage return is whitespace too, and Unicode's line and paragraph separators are
        // escaped like control characters: a terminal would break the line at any of them
        assertEquals("[1, 2]", Json.quote("[1,\r2]"));
        assertEquals("a\\u2028b\\u2029c", Json.printable("a\u2028b\u2029c"));
        assertEquals("a\\u2028b=2: duplicate key", error("{\"a\\u2028b\":1,\"a\\u2028b\":2}"));
        // DEL is a control character: named by its code point, not printed
        assertEquals("stdin:1:1=U+007F: expected a JSON value", error("\u007f"));
    }

    @Test
    void aQuoteOfExactlyTheLimitIsNotCut() {
        String limit = "x".repeat(Json.QUOTE_LIMIT);
        assertEquals(limit, Json.printable(limit));
        assertEquals(limit, Json.quote(limit));
        assertEquals("x".repeat(Json.QUOTE_LIMIT - 3) + "...", Json.printable(limit + "x"));
    }

    @Test
    void aStringWrittenForOutputReadsBackAsTheSameText() {
        String tricky = "C:\\tmp\\a \"b\".jar\t\n" + (char) 1 + "\u00e9";
        String written = Json.string(tricky);
        assertEquals("\"C:\\\\tmp\\\\a \\\"b\\\".jar\\u0009\\u000a\\u0001\u00e9\"", written);
        Json.Obj o = assertInstanceOf(Json.Obj.class, Json.parse("{" + written + ":1}", "stdin"));
        assertEquals(List.of(tricky), List.copyOf(o.members().keySet()));
    }
}

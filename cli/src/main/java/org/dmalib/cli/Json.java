package org.dmalib.cli;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser (RFC 8259) for command input: objects, arrays, numbers, strings,
 * {@code true}, {@code false} and {@code null}, with nothing before or after the one top-level
 * value but JSON whitespace. A duplicate key is an error, as is nesting deeper than
 * {@link #MAX_DEPTH}. Every value keeps its source text, so that a message can quote what was
 * typed; numbers are kept as text and read exactly ({@link Num#integer()}).
 *
 * <p>Every error is an {@link IllegalArgumentException} of one line naming where and what, e.g.
 * {@code stdin:1:17='x': expected ',' or '}'} or {@code segments[0].paddr=4096: duplicate key}.
 *
 * <p>Stateless; thread-safe (every parse has its own cursor).
 */
final class Json {
    /** The deepest nesting of arrays and objects accepted. */
    static final int MAX_DEPTH = 32;
    /** Quoted values longer than this are cut in messages. */
    static final int QUOTE_LIMIT = 40;

    private static final int HEX = 16;
    private static final int UNICODE_ESCAPE_DIGITS = 4;
    // characters below U+0020 must be escaped inside a JSON string
    private static final char FIRST_PLAIN = 0x20;
    // printable ASCII ends before DEL
    private static final char DEL = 0x7F;

    /** A parsed value. */
    sealed interface Value permits Obj, Arr, Num, Other {
        /** Returns the value's source text, exactly as it was in the input. */
        String text();
    }

    /**
     * An object.
     *
     * @param members its members in input order, keys unique, unmodifiable
     * @param text its source text
     */
    record Obj(Map<String, Value> members, String text) implements Value {}

    /**
     * An array.
     *
     * @param elements its elements in order, unmodifiable
     * @param text its source text
     */
    record Arr(List<Value> elements, String text) implements Value {}

    /**
     * A number.
     *
     * @param text its source text: valid JSON number syntax
     */
    record Num(String text) implements Value {
        /** Returns the number if it is written as an integer (no fraction, no exponent), else null. */
        BigInteger integer() {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '.' || c == 'e' || c == 'E') {
                    return null;
                }
            }
            return new BigInteger(text);
        }
    }

    /**
     * A string, {@code true}, {@code false} or {@code null}: never a valid value of the commands'
     * input, kept so that the message can quote it.
     *
     * @param text its source text
     */
    record Other(String text) implements Value {}

    private final String in;
    private final String source;
    private int pos;

    private Json(String in, String source) {
        this.in = in;
        this.source = source;
    }

    /**
     * Parses one JSON value.
     *
     * @param input the whole input
     * @param source the input's name in messages, e.g. {@code stdin}
     * @return the value
     * @throws IllegalArgumentException naming the first error: a syntax error as
     *     {@code source:line:column=char: why}, a duplicate key as {@code path=value: duplicate key}
     */
    static Value parse(String input, String source) {
        Json p = new Json(input, source);
        p.skipWhitespace();
        Value v = p.value("", 0);
        p.skipWhitespace();
        if (p.pos < input.length()) {
            throw p.syntax("expected nothing after the JSON value");
        }
        return v;
    }

    /**
     * Writes {@code text} as a JSON string (RFC 8259, section 7): in double quotes, with the
     * quote, the backslash and every control character below U+0020 escaped; everything else as
     * it is.
     *
     * @param text any text, not null
     * @return the JSON string literal
     */
    static String string(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < FIRST_PLAIN) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * Returns source text fit for a one-line message: runs of whitespace become one space,
     * other control characters {@code \}{@code u} and four hex digits, and anything longer than
     * {@link #QUOTE_LIMIT} is cut with {@code ...}.
     */
    static String quote(String text) {
        StringBuilder b = new StringBuilder();
        boolean space = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                space = true;
                continue;
            }
            if (space && b.length() > 0) {
                b.append(' ');
            }
            space = false;
            b.append(c);
        }
        return printable(b.toString());
    }

    /**
     * Returns a decoded string (a key) fit for a one-line message: every control character as
     * {@code \}{@code u} and four hex digits, cut with {@code ...} past {@link #QUOTE_LIMIT}.
     */
    static String printable(String text) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() > QUOTE_LIMIT) {
            return b.substring(0, QUOTE_LIMIT - 3) + "...";
        }
        return b.toString();
    }

    private Value value(String path, int depth) {
        if (pos >= in.length()) {
            throw syntax("expected a JSON value");
        }
        char c = in.charAt(pos);
        if (c == '{' || c == '[') {
            if (depth >= MAX_DEPTH) {
                throw syntax("nested deeper than " + MAX_DEPTH);
            }
            return c == '{' ? object(path, depth + 1) : array(path, depth + 1);
        }
        if (c == '"') {
            int start = pos;
            string();
            return new Other(in.substring(start, pos));
        }
        if (c == '-' || isDigit(c)) {
            return number();
        }
        for (String word : new String[] {"true", "false", "null"}) {
            if (in.startsWith(word, pos)) {
                pos += word.length();
                return new Other(word);
            }
        }
        throw syntax("expected a JSON value");
    }

    private Obj object(String path, int depth) {
        int start = pos;
        pos++; // '{'
        Map<String, Value> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return new Obj(Collections.unmodifiableMap(members), in.substring(start, pos));
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw syntax("expected a key in double quotes");
            }
            String key = string();
            skipWhitespace();
            expect(':', "expected ':' after the key");
            skipWhitespace();
            String memberPath = path.isEmpty() ? key : path + "." + key;
            Value v = value(memberPath, depth);
            if (members.putIfAbsent(key, v) != null) {
                throw new IllegalArgumentException(
                        printable(memberPath) + "=" + quote(v.text()) + ": duplicate key");
            }
            skipWhitespace();
            if (peek() == ',') {
                pos++;
                continue;
            }
            expect('}', "expected ',' or '}'");
            return new Obj(Collections.unmodifiableMap(members), in.substring(start, pos));
        }
    }

    private Arr array(String path, int depth) {
        int start = pos;
        pos++; // '['
        List<Value> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return new Arr(List.of(), in.substring(start, pos));
        }
        while (true) {
            skipWhitespace();
            elements.add(value(path + "[" + elements.size() + "]", depth));
            skipWhitespace();
            if (peek() == ',') {
                pos++;
                continue;
            }
            expect(']', "expected ',' or ']'");
            return new Arr(Collections.unmodifiableList(elements), in.substring(start, pos));
        }
    }

    /** Reads a number: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?}. */
    private Num number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw syntax("a number may not have a leading zero");
            }
        } else {
            digits();
        }
        if (peek() == '.') {
            pos++;
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            digits();
        }
        return new Num(in.substring(start, pos));
    }

    private void digits() {
        if (!isDigit(peek())) {
            throw syntax("expected a digit");
        }
        while (isDigit(peek())) {
            pos++;
        }
    }

    /** Reads a string at a '"' and returns its decoded contents. */
    private String string() {
        pos++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= in.length()) {
                throw syntax("unterminated string");
            }
            char c = in.charAt(pos);
            if (c == '"') {
                pos++;
                return b.toString();
            }
            if (c < FIRST_PLAIN) {
                throw syntax("a control character must be escaped in a string");
            }
            if (c != '\\') {
                b.append(c);
                pos++;
                continue;
            }
            pos++;
            char e = peek();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    int code = 0;
                    for (int i = 0; i < UNICODE_ESCAPE_DIGITS; i++) {
                        pos++;
                        int d = hexValue(peek());
                        if (d < 0) {
                            throw syntax("expected 4 hex digits after \\u");
                        }
                        code = code * HEX + d;
                    }
                    b.append((char) code);
                }
                default -> throw syntax("unknown escape in a string");
            }
            pos++;
        }
    }

    private void expect(char c, String why) {
        if (peek() != c) {
            throw syntax(why);
        }
        pos++;
    }

    /** Returns the character at the cursor, or 0 at the end (0 cannot be valid where it is read). */
    private char peek() {
        return pos < in.length() ? in.charAt(pos) : 0;
    }

    private void skipWhitespace() {
        while (pos < in.length()) {
            char c = in.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /**
     * The value of an ASCII hex digit, either case, or -1: JSON's escapes take only these
     * (Character.digit would also take fullwidth and other Unicode digits).
     */
    private static int hexValue(char c) {
        if (isDigit(c)) {
            return c - '0';
        }
        char lower = (char) (c | 0x20); // ASCII letters: bit 5 set is the lower case
        return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
    }

    /** Returns a syntax error at the cursor: {@code source:line:column=char: why}. */
    private IllegalArgumentException syntax(String why) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < pos && i < in.length(); i++) {
            if (in.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        String at;
        if (pos >= in.length()) {
            at = "(end of input)";
        } else {
            char c = in.charAt(pos);
            at = c > FIRST_PLAIN && c < DEL ? "'" + c + "'" : String.format("U+%04X", (int) c);
        }
        return new IllegalArgumentException(
                source + ":" + line + ":" + (pos - lineStart + 1) + "=" + at + ": " + why);
    }
}

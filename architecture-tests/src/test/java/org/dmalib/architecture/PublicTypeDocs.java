package org.dmalib.architecture;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the public types of one Java source file whose Javadoc says nothing about threads: the
 * project's standard is that every public type states its thread-safety (safe for concurrent
 * use, not thread-safe, immutable or stateless and so safe to share, or confined to one thread).
 * A line scanner, not a parser: it reads the Javadoc comment that ends right before a type
 * declaration, with only annotations in between, and asks whether it uses one of the words
 * such a statement needs ({@link #STATEMENT}).
 *
 * <p>Stateless; safe to use from any thread.
 */
final class PublicTypeDocs {
    // a public class, interface, record, enum or annotation type, top level or nested
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^\\s*public\\s+(?:(?:static|final|abstract|sealed|non-sealed|strictfp)\\s+)*"
                    + "(?:class|interface|record|enum|@interface)\\s+(\\w+)");

    /** The words of a thread-safety statement, matched case-insensitively, whole or as a stem. */
    static final Pattern STATEMENT = Pattern.compile(
            "thread|concurren|immutable|stateless", Pattern.CASE_INSENSITIVE);

    private PublicTypeDocs() {}

    /** One public type found: its name, line (from 1) and whether its Javadoc states thread-safety. */
    record Found(String type, int line, boolean statesThreadSafety) {}

    /**
     * Returns every public type declared in {@code source}, in order.
     *
     * @param source the text of one {@code .java} file
     * @return the types found, each with its verdict
     */
    static List<Found> scan(String source) {
        List<Found> found = new ArrayList<>();
        String doc = null;      // the last Javadoc comment, while only annotations follow it
        StringBuilder open = null; // the Javadoc being read
        int parens = 0;         // open parentheses of a multi-line annotation
        String[] lines = source.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String t = line.trim();
            if (open != null) {
                open.append(line).append('\n');
                if (t.contains("*/")) {
                    doc = open.toString();
                    open = null;
                }
                continue;
            }
            if (t.startsWith("/**")) {
                open = new StringBuilder(line).append('\n');
                if (t.endsWith("*/") && t.length() > 4) {
                    doc = open.toString();
                    open = null;
                }
                continue;
            }
            Matcher m = PUBLIC_TYPE.matcher(line);
            if (m.find() && parens == 0) {
                boolean states = doc != null && STATEMENT.matcher(doc).find();
                found.add(new Found(m.group(1), i + 1, states));
                doc = null;
                continue;
            }
            if (parens > 0 || t.startsWith("@")) {
                parens += count(t, '(') - count(t, ')');
                continue; // an annotation between the Javadoc and its declaration
            }
            if (!t.isEmpty()) {
                doc = null; // anything else ends the comment's claim on a declaration
            }
        }
        return found;
    }

    private static int count(String s, char c) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                n++;
            }
        }
        return n;
    }
}

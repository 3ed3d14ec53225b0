package org.dmalib.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The compiler settings that keep the standards mechanical stay in the root {@code pom.xml}:
 * every warning fails the build, and javac's doclint checks the main sources' Javadoc (every
 * public and protected member documented with its parameters and result, every reference
 * resolving). Read from the source tree this module sits in.
 */
class BuildLintTest {
    private static final String COMPILER = "maven-compiler-plugin";

    @Test
    void everyWarningFailsTheBuild() throws Exception {
        Element plugin = compilerPlugin();
        Element config = child(plugin, "configuration");
        assertEquals("true", text(child(config, "failOnWarning")), "failOnWarning");
        List<String> args = args(config);
        assertTrue(args.contains("-Xlint:all"), "-Xlint:all in " + args);
        assertTrue(args.contains("-Werror"), "-Werror in " + args);
    }

    @Test
    void doclintChecksTheMainSourcesOfEveryModule() throws Exception {
        Element compile = null;
        for (Element e : children(child(compilerPlugin(), "executions"), "execution")) {
            if ("default-compile".equals(text(child(e, "id")))) {
                compile = e;
            }
        }
        assertTrue(compile != null, "an execution default-compile of the " + COMPILER);
        List<String> args = args(child(compile, "configuration"));
        assertTrue(args.contains("-Xdoclint:all/protected"), "-Xdoclint:all/protected in " + args);
        // only generated code may be exempt: a package filter naming anything else would hide it
        for (String a : args) {
            if (a.startsWith("-Xdoclint/package:")) {
                assertEquals("-Xdoclint/package:-org.dmalib.bench.jmh_generated", a);
            }
        }
    }

    /** The compiler plugin of the root pom's plugin management. */
    private static Element compilerPlugin() throws IOException, SAXException, ParserConfigurationException {
        Path root = Path.of("").toAbsolutePath().getParent();
        Path pom = root == null ? null : root.resolve("pom.xml");
        if (pom == null || !Files.isRegularFile(pom) || !Files.isDirectory(root.resolve("architecture-tests"))) {
            throw new IllegalStateException("not run from architecture-tests in the reactor: "
                    + Path.of("").toAbsolutePath());
        }
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = factory.newDocumentBuilder().parse(pom.toFile());
        Element plugins = child(child(child(doc.getDocumentElement(), "build"), "pluginManagement"),
                "plugins");
        for (Element p : children(plugins, "plugin")) {
            if (COMPILER.equals(text(child(p, "artifactId")))) {
                return p;
            }
        }
        throw new AssertionError("no " + COMPILER + " in the root pom's pluginManagement");
    }

    private static List<String> args(Element configuration) {
        List<String> args = new ArrayList<>();
        for (Element a : children(child(configuration, "compilerArgs"), "arg")) {
            args.add(text(a));
        }
        return args;
    }

    private static Element child(Element parent, String name) {
        List<Element> found = children(parent, name);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " <" + name + "> in <" + parent.getTagName() + ">");
        }
        return found.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                found.add(e);
            }
        }
        return found;
    }

    private static String text(Element e) {
        return e.getTextContent().trim();
    }
}

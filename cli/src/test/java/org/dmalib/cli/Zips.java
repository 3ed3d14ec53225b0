package org.dmalib.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes the jars the check-driver tests read, to files or to bytes to nest. Stateless; thread-safe. */
final class Zips {
    private Zips() {}

    /** Writes a zip of {@code entries} (name to contents, in the map's order) to {@code jar}. */
    static Path write(Path jar, Map<String, byte[]> entries) throws IOException {
        return Files.write(jar, bytes(entries));
    }

    /** {@return a zip of {@code entries} (name to contents, in the map's order), deflated} */
    static byte[] bytes(Map<String, byte[]> entries) {
        return zip(entries, ZipEntry.DEFLATED);
    }

    /**
     * {@return a zip of {@code entries} (in the map's order), stored as they are, sizes and CRCs
     * in the local headers (as Spring Boot stores its nested jars)}
     */
    static byte[] stored(Map<String, byte[]> entries) {
        return zip(entries, ZipEntry.STORED);
    }

    private static byte[] zip(Map<String, byte[]> entries, int method) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(method);
                if (method == ZipEntry.STORED) {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    entry.setSize(e.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}

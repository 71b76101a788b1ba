package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No runtime or example image has a setuid or setgid file or directory (runtime-init/images/README.md:
 * the base and the language images clear them at build time). For each image, a container is created
 * (never started), its filesystem exported as a tar, and every entry's mode checked.
 *
 * <p>The images are those matching the reference patterns in {@code -Dfaaspool.setuidImages}
 * (comma-separated, as {@code docker images --filter reference=}), by default every
 * {@code faas-runtime:*}, {@code faas-example-*:latest} and {@code faas-hello:latest}.
 */
class ImageSetuidIT {
    static final String DEFAULT_PATTERNS = "faas-runtime:*,faas-example-*:latest,faas-hello:latest";
    static final int SETUID = 04000;
    static final int SETGID = 02000;

    /** An image's tar entry with a setuid or setgid bit. */
    record Offender(String path, int mode) {
        @Override
        public String toString() {
            return String.format("%s (%04o)", path, mode & 07777);
        }
    }

    static List<String> images() throws IOException, InterruptedException {
        String patterns = System.getProperty("faaspool.setuidImages", DEFAULT_PATTERNS);
        TreeSet<String> images = new TreeSet<>();
        for (String pattern : patterns.split(",")) {
            if (!pattern.isBlank()) {
                images.addAll(Docker.run("images", "--format", "{{.Repository}}:{{.Tag}}",
                        "--filter", "reference=" + pattern.strip()));
            }
        }
        images.removeIf(i -> i.contains("<none>"));
        assertFalse(images.isEmpty(), "no image matches " + patterns + " (runtime-init/build-images.sh builds them)");
        return List.copyOf(images);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void hasNoSetuidOrSetgidFile(String image) throws IOException, InterruptedException {
        // Created, not started: the entry point is never run, so any will do.
        String id = Docker.run("create", "--label", "dev.faaspool.test=ImageSetuidIT", "--network", "none",
                "--entrypoint", "/nonexistent", image).getLast();
        try {
            List<Offender> offenders = exportAndScan(id);
            assertTrue(offenders.isEmpty(), image + " has setuid/setgid entries: " + offenders);
        } finally {
            Docker.run("rm", "-f", id);
        }
    }

    /** Streams {@code docker export <id>} through {@link #scan}. */
    static List<Offender> exportAndScan(String id) throws IOException, InterruptedException {
        Path err = Files.createTempFile("image-setuid-", ".err");
        try {
            Process p = new ProcessBuilder("docker", "export", id).redirectError(err.toFile()).start();
            List<Offender> offenders;
            int[] entries = new int[1];
            try (InputStream in = p.getInputStream()) {
                offenders = scan(in, entries);
                in.transferTo(OutputStream.nullOutputStream()); // whatever follows the archive's end
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("docker export " + id + " did not end");
            }
            assertEquals(0, p.exitValue(), "docker export " + id + ": " + Files.readString(err));
            assertTrue(entries[0] > 0, "docker export " + id + " gave no entries");
            return offenders;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /**
     * Reads a tar stream (ustar, with the PAX and GNU long-name extensions docker export may write) and
     * returns its entries that have a setuid or setgid bit; counts the entries into {@code entries[0]}.
     */
    static List<Offender> scan(InputStream in, int[] entries) throws IOException {
        List<Offender> offenders = new ArrayList<>();
        byte[] header = new byte[512];
        String longName = null;
        while (true) {
            if (!readBlock(in, header)) {
                break;
            }
            if (allZero(header)) {
                break; // end of archive
            }
            long size = number(header, 124, 12);
            char type = (char) header[156];
            byte[] body = null;
            if (type == 'x' || type == 'L' || type == 'g') {
                body = readBody(in, size);
            } else {
                skip(in, padded(size));
            }
            switch (type) {
                case 'x' -> longName = paxPath(body, longName);
                case 'L' -> longName = cString(body, 0, body.length);
                case 'g' -> { }
                default -> {
                    String name = longName != null ? longName : ustarName(header);
                    longName = null;
                    int mode = (int) number(header, 100, 8);
                    entries[0]++;
                    if ((mode & (SETUID | SETGID)) != 0) {
                        offenders.add(new Offender(name, mode));
                    }
                }
            }
        }
        return offenders;
    }

    static String ustarName(byte[] h) {
        String name = cString(h, 0, 100);
        boolean ustar = new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The {@code path} record of a PAX extended header ("<length> path=<value>\n", lengths in bytes), else {@code fallback}. */
    static String paxPath(byte[] body, String fallback) {
        int i = 0;
        while (i < body.length) {
            int space = i;
            while (space < body.length && body[space] != ' ') {
                space++;
            }
            if (space == body.length) {
                break;
            }
            int length = Integer.parseInt(new String(body, i, space - i, StandardCharsets.US_ASCII));
            if (length <= 0 || i + length > body.length) {
                break;
            }
            String record = new String(body, space + 1, i + length - 1 - (space + 1), StandardCharsets.UTF_8);
            if (record.startsWith("path=")) {
                return record.substring("path=".length());
            }
            i += length;
        }
        return fallback;
    }

    /** An octal field, or a base-256 one (high bit of the first byte set), as tar writes big numbers. */
    static long number(byte[] h, int offset, int length) {
        if ((h[offset] & 0x80) != 0) {
            long v = h[offset] & 0x7f;
            for (int i = offset + 1; i < offset + length; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        String s = cString(h, offset, length).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    static String cString(byte[] b, int offset, int length) {
        int end = offset;
        while (end < offset + length && b[end] != 0) {
            end++;
        }
        return new String(b, offset, end - offset, StandardCharsets.UTF_8);
    }

    static long padded(long size) {
        return (size + 511) / 512 * 512;
    }

    static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** False at a clean end of stream; an end inside the block is an error. */
    static boolean readBlock(InputStream in, byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, block.length);
        if (n == 0) {
            return false;
        }
        if (n < block.length) {
            throw new EOFException("tar stream ends inside a header");
        }
        return true;
    }

    static byte[] readBody(InputStream in, long size) throws IOException {
        if (size > 1 << 20) {
            throw new IOException("extended tar header of " + size + " bytes");
        }
        byte[] body = in.readNBytes((int) size);
        if (body.length < size) {
            throw new EOFException("tar stream ends inside an extended header");
        }
        skip(in, padded(size) - size);
        return body;
    }

    static void skip(InputStream in, long n) throws IOException {
        in.skipNBytes(n);
    }
}

package dev.faaspool.functionlogs;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A log file rotated by size: lines go to {@code <name>.log}; one that would take it past
 * {@code maxBytes} first renames it to {@code <name>.log.1} (shifting {@code .1} to {@code .2} and so on,
 * and deleting the oldest), so at most {@code files} files of at most {@code maxBytes} each exist (a single
 * line longer than {@code maxBytes}, which {@link LogLines} makes impossible, would make its file larger).
 * This is logrotate's and logback's fixed-window scheme; {@code faas-pool logs} reads the files in
 * {@link #files} order.
 *
 * <p>One writer: not thread-safe.
 */
final class RotatingFile implements AutoCloseable {
    private final Path current;
    private final long maxBytes;
    private final int files;
    private OutputStream out;
    private long size;

    /**
     * @param files how many files are kept, the current one included (1 = no rotated file: the file is
     *              emptied when full)
     */
    RotatingFile(Path dir, String name, long maxBytes, int files) {
        if (maxBytes < 1 || files < 1) {
            throw new IllegalArgumentException("maxBytes and files must be >= 1 (were " + maxBytes + ", " + files + ")");
        }
        this.current = dir.resolve(name + ".log");
        this.maxBytes = maxBytes;
        this.files = files;
    }

    /** The files of function {@code name} in {@code dir} that exist, oldest first. */
    static List<Path> files(Path dir, String name, int max) {
        List<Path> found = new ArrayList<>();
        for (int i = max - 1; i >= 1; i--) {
            Path p = dir.resolve(name + ".log." + i);
            if (Files.isRegularFile(p)) {
                found.add(p);
            }
        }
        Path cur = dir.resolve(name + ".log");
        if (Files.isRegularFile(cur)) {
            found.add(cur);
        }
        return found;
    }

    /** Appends {@code line} and a newline (buffered: {@link #flush} makes it visible). */
    void append(String line) throws IOException {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (out == null) {
            open();
        }
        if (size > 0 && size + b.length > maxBytes) {
            rotate();
        }
        out.write(b);
        size += b.length;
    }

    /** Creates the file if it does not exist yet, so that a function known to have run has a log. */
    void create() throws IOException {
        if (out == null) {
            open();
        }
    }

    void flush() throws IOException {
        if (out != null) {
            out.flush();
        }
    }

    private void open() throws IOException {
        Files.createDirectories(current.getParent());
        out = new BufferedOutputStream(Files.newOutputStream(current, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS), 64 * 1024);
        size = Files.size(current);
    }

    private void rotate() throws IOException {
        out.close();
        out = null;
        String base = current.getFileName().toString();
        Path dir = current.getParent();
        if (files == 1) {
            Files.delete(current);
        } else {
            Files.deleteIfExists(dir.resolve(base + "." + (files - 1)));
            for (int i = files - 2; i >= 1; i--) {
                move(dir.resolve(base + "." + i), dir.resolve(base + "." + (i + 1)));
            }
            move(current, dir.resolve(base + ".1"));
        }
        open();
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException absent) {
            // fewer files than the window so far
        }
    }

    @Override
    public void close() throws IOException {
        if (out != null) {
            out.close();
            out = null;
        }
    }
}

package dev.faaspool.functionlogs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Reads a function's log back, for {@code faas-pool logs}: its rotated files oldest first, then the
 * current one, optionally from a time on, and optionally following what is appended, across rotations
 * (the file renamed away is read to its end before the new one is opened, as {@code tail -F} does).
 */
public final class LogReader {
    private final Path dir;
    private final String function;

    public LogReader(Path dir, String function) {
        this.dir = dir;
        this.function = function;
    }

    /** The function's files, oldest first; empty when faas-pool never ran it with this directory. */
    public List<Path> files() {
        return RotatingFile.files(dir, function, FunctionLogs.FILES);
    }

    /**
     * Prints every line from {@code since} on (null: all) of the rotated files, then of the current one;
     * with {@code follow}, goes on printing the lines appended until {@code stop} says so, looking every
     * {@code poll}.
     */
    public void read(Instant since, boolean follow, Consumer<String> out, BooleanSupplier stop, Duration poll)
            throws IOException, InterruptedException {
        Path current = dir.resolve(function + ".log");
        Consumer<String> filtered = since == null ? out : line -> {
            Instant t = LogLines.timeOf(line);
            if (t == null || !t.isBefore(since)) {
                out.accept(line);
            }
        };
        for (Path p : files()) {
            if (!p.equals(current)) {
                try (Tail t = Tail.open(p)) {
                    if (t != null) {
                        t.lines(filtered, true);
                    }
                }
            }
        }
        Tail tail = Tail.open(current);
        try {
            if (tail != null) {
                tail.lines(filtered, !follow);
            }
            while (follow && !stop.getAsBoolean()) {
                Thread.sleep(poll.toMillis());
                if (tail == null) {
                    tail = Tail.open(current);
                    continue;
                }
                tail.lines(filtered, false);
                Object now = fileKey(current);
                if (now != null && !now.equals(tail.key)) { // rotated: the rest of the old file, then the new one
                    tail.lines(filtered, true);
                    tail.close();
                    tail = Tail.open(current);
                }
            }
        } finally {
            if (tail != null) {
                tail.close();
            }
        }
    }

    private static Object fileKey(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return Objects.requireNonNullElse(a.fileKey(), a.creationTime());
        } catch (IOException e) {
            return null;
        }
    }

    /** An open log file and the position read to; a line is printed once its newline is there. */
    private static final class Tail implements AutoCloseable {
        final Object key;
        private final FileChannel channel;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024);

        private Tail(FileChannel channel, Object key) {
            this.channel = channel;
            this.key = key;
        }

        /** The file opened (never through a symbolic link), or null when it does not exist. */
        static Tail open(Path p) throws IOException {
            try {
                FileChannel c = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                return new Tail(c, fileKey(p));
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        /** Prints the complete lines appended since the last call; with {@code all}, the last incomplete one too. */
        void lines(Consumer<String> out, boolean all) throws IOException {
            if (channel.size() < channel.position()) {
                channel.position(0); // emptied in place
            }
            while (true) {
                buf.clear();
                int n = channel.read(buf);
                if (n <= 0) {
                    break;
                }
                byte[] b = buf.array();
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (b[i] == '\n') {
                        partial.write(b, start, i - start);
                        out.accept(partial.toString(StandardCharsets.UTF_8));
                        partial.reset();
                        start = i + 1;
                    }
                }
                partial.write(b, start, n - start);
            }
            if (all && partial.size() > 0) {
                out.accept(partial.toString(StandardCharsets.UTF_8));
                partial.reset();
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}

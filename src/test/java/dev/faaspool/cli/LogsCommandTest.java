package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.functionlogs.LogReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code faas-pool logs} on log files as faas-pool writes and rotates them. */
@Timeout(30)
class LogsCommandTest {
    private static final Instant NOW = Instant.parse("2026-12-02T19:00:00Z");

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new LogsCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Clock.fixed(NOW, ZoneOffset.UTC)));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static String line(String time, String text) {
        return time + " fn-1/0123456789ab out " + text;
    }

    private void write(String file, String... lines) throws Exception {
        Files.writeString(dir.resolve(file), String.join("\n", lines) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void printsTheRotatedFilesOldestFirstThenTheCurrentOne() throws Exception {
        write("fn.log.2", line("2026-12-02T18:00:00.000000000Z", "one"));
        write("fn.log.1", line("2026-12-02T18:30:00.000000000Z", "two"));
        write("fn.log", line("2026-12-02T18:55:00.000000000Z", "three"), line("2026-12-02T18:59:00.000000000Z", "four"));
        write("other.log", line("2026-12-02T18:59:00.000000000Z", "not fn's"));
        Result r = run("fn", "--logs", dir.toString());
        assertEquals(0, r.exit, r.err);
        assertEquals(List.of("one", "two", "three", "four"), r.out.lines().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList());
    }

    @Test
    void sinceKeepsTheLinesOfTheLastDurationOrFromATime() throws Exception {
        write("fn.log.1", line("2026-12-02T18:00:00.000000000Z", "old"));
        write("fn.log", line("2026-12-02T18:49:59.999999999Z", "just before"), line("2026-12-02T18:50:00.000000000Z", "at"),
                line("2026-12-02T18:59:00.000000000Z", "recent"));
        assertEquals("at\nrecent\n", texts(run("fn", "--logs", dir.toString(), "--since", "10m")));
        assertEquals("recent\n", texts(run("fn", "--logs", dir.toString(), "--since", "2026-12-02T18:55:00Z")));
        assertEquals("old\njust before\nat\nrecent\n", texts(run("fn", "--logs", dir.toString(), "--since", "2h")));
        Result bad = run("fn", "--logs", dir.toString(), "--since", "yesterday");
        assertEquals(2, bad.exit);
        assertTrue(bad.err.contains("--since: 'yesterday' is not a duration"), bad.err);
    }

    private static String texts(Result r) {
        assertEquals(0, r.exit, r.err);
        StringBuilder b = new StringBuilder();
        r.out.lines().forEach(l -> b.append(l, l.indexOf(" out ") + 5, l.length()).append('\n'));
        return b.toString();
    }

    @Test
    void anUnknownFunctionIsAClearErrorAndANameThatIsNoFunctionNameIsRefused() throws Exception {
        Result unknown = run("nope", "--logs", dir.toString());
        assertEquals(1, unknown.exit);
        assertEquals("faas-pool logs: no log of function 'nope' in " + dir + " (no container of it has run with --logs "
                + dir + ")\n", unknown.err);
        Files.writeString(dir.getParent().resolve("secret.log"), "do not print\n");
        try {
            for (String name : List.of("../secret", "/etc/passwd", "fn/../../secret", "FN", ".")) {
                Result r = run(name, "--logs", dir.toString());
                assertEquals(2, r.exit, name);
                assertEquals("", r.out, name);
                assertTrue(r.err.contains("is not a function name"), r.err);
            }
        } finally {
            Files.delete(dir.getParent().resolve("secret.log"));
        }
    }

    @Test
    void followPrintsNewLinesAcrossARotation() throws Exception {
        write("fn.log", line("2026-12-02T18:00:00.000000000Z", "before"));
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            try {
                new LogReader(dir, "fn").read(null, true, seen::add, stop::get, Duration.ofMillis(10));
            } catch (Exception e) {
                seen.add("failed: " + e);
            }
        });
        reader.start();
        try {
            awaitSize(seen, 1);
            Files.writeString(dir.resolve("fn.log"), line("2026-12-02T18:00:01.000000000Z", "half"),
                    StandardOpenOption.APPEND);
            Thread.sleep(100);
            assertEquals(1, seen.size(), "a line is printed once it is whole: " + seen);
            Files.writeString(dir.resolve("fn.log"), " done\n", StandardOpenOption.APPEND);
            awaitSize(seen, 2);
            // What RotatingFile does: a last line, the rename, then a new file.
            write("fn.log", line("2026-12-02T18:00:02.000000000Z", "last of the old file"));
            Files.move(dir.resolve("fn.log"), dir.resolve("fn.log.1"));
            write("fn.log", line("2026-12-02T18:00:03.000000000Z", "first of the new"));
            awaitSize(seen, 4);
            write("fn.log", line("2026-12-02T18:00:04.000000000Z", "and on"));
            awaitSize(seen, 5);
        } finally {
            stop.set(true);
            reader.join(5_000);
        }
        assertEquals(List.of("before", "half done", "last of the old file", "first of the new", "and on"),
                seen.stream().map(l -> l.substring(l.indexOf(" out ") + 5)).toList());
    }

    private static void awaitSize(List<String> seen, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (seen.size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + n + " lines, saw " + seen);
            }
            Thread.sleep(5);
        }
    }
}

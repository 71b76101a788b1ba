package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -HUP} (what {@code systemctl reload} sends) reloads pool-config as an edit does, and never
 * stops the pool. The edits here keep each file's size and modification time, so the file watcher cannot
 * see them: only the SIGHUP applies them.
 */
class HangupIT {
    @TempDir
    Path work;
    private PoolProcess pool;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
            Docker.removeAll(pool.instance);
        }
    }

    private static String function(String name, int port, String min, String pad) {
        return """
                functions:
                  %s:
                    image: faas-hello:latest
                    listen: 127.0.0.1:%d
                    mode: fork
                    pool:
                      min: %s
                      max: 4
                      scaling: fixed
                # %s
                """.formatted(name, port, min, pad);
    }

    /** Writes {@code text} over {@code f}, which must keep its size, and gives it back its modification time. */
    private static void editUnseen(Path f, String text) throws IOException {
        long size = Files.size(f);
        FileTime mtime = Files.getLastModifiedTime(f);
        Files.writeString(f, text);
        Files.setLastModifiedTime(f, mtime);
        assertEquals(size, Files.size(f), "an edit the watcher's fingerprint cannot see");
    }

    private void hangup() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pool.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
    }

    private Set<String> containers(String function) throws IOException, InterruptedException {
        return new HashSet<>(Docker.run("ps", "-q", "--no-trunc", "--filter", "label=dev.faaspool.instance=" + pool.instance,
                "--filter", "label=dev.faaspool.function=" + function));
    }

    @Test
    void aHangupAppliesAnEditKeepsEveryOtherContainerAndRejectsAnInvalidOne() throws Exception {
        Path dir = Files.createDirectories(work.resolve("pool-config"));
        int portA = PoolProcess.freePort();
        int portB = PoolProcess.freePort();
        Path a = Files.writeString(dir.resolve("a.yaml"), function("a", portA, "2", "xx"));
        Files.writeString(dir.resolve("b.yaml"), function("b", portB, "2", "xx"));
        pool = PoolProcess.start(work, "hangup", "--config", dir.toString());
        pool.awaitStdout(Pattern.compile("b: 2/2 warm"), Duration.ofSeconds(60));
        pool.awaitFunction("a", f -> f.get("warm").asInt() == 2, Duration.ofSeconds(60));
        Set<String> aBefore = containers("a");
        Set<String> bBefore = containers("b");
        assertEquals(2, aBefore.size());
        assertEquals(2, bBefore.size());

        InetSocketAddress addressA = new InetSocketAddress(InetAddress.getLoopbackAddress(), portA);
        List<String> outcomes = new CopyOnWriteArrayList<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
            while (loading.get()) {
                try {
                    outcomes.add(Integer.toString(HttpProbe.get(addressA, "/", 30_000).status()));
                } catch (IOException e) {
                    outcomes.add("no answer: " + e);
                }
            }
        });
        load.start();
        try {
            // A valid edit: a grows to three; nothing else changes.
            editUnseen(a, function("a", portA, "3", "xx"));
            hangup();
            pool.awaitLog(Pattern.compile("applied the configuration on SIGHUP: 2 function"), Duration.ofSeconds(30));
            pool.awaitFunction("a", f -> f.get("min").asInt() == 3
                    && f.get("warm").asInt() + f.get("busy").asInt() == 3, Duration.ofSeconds(60));
            assertEquals(bBefore, containers("b"), "b did not change: every one of its containers is kept");
            assertTrue(containers("a").containsAll(aBefore), "a was resized, not replaced");

            // An invalid edit: rejected with file, line and field; the pool keeps serving what it had.
            editUnseen(a, function("a", portA, "-1", "x"));
            hangup();
            pool.awaitLog(Pattern.compile("the configuration on SIGHUP was rejected, still serving the previous one: "
                    + Pattern.quote(a.toString()) + ":7: functions\\.a\\.pool\\.min: must be >= 0 \\(was -1\\)"),
                    Duration.ofSeconds(30));
            assertEquals(3, pool.function("a").get("min").asInt());
            assertEquals(bBefore, containers("b"));
            assertEquals(200, HttpProbe.get(new InetSocketAddress(InetAddress.getLoopbackAddress(), portB), "/", 30_000)
                    .status());
        } finally {
            loading.set(false);
            load.join(60_000);
        }
        assertFalse(pool.stderr().contains("the edited configuration"), "the watcher saw none of it: the HUP did all");
        Map<String, Integer> counts = new TreeMap<>();
        outcomes.forEach(o -> counts.merge(o, 1, Integer::sum));
        assertTrue(outcomes.size() > 10 && outcomes.stream().allMatch("200"::equals),
                "every request to a, throughout, was served: " + counts);
        assertEquals(0, pool.stop(Duration.ofSeconds(60)), "SIGTERM still drains and exits 0");
        assertEquals(List.of(), Docker.containersOf(pool.instance));
    }

    @Test
    void withoutAConfigurationAHangupChangesNothing() throws Exception {
        int port = PoolProcess.freePort();
        pool = PoolProcess.start(work, "hangup-builtin", "--pool-size", "1", "--listen", "127.0.0.1:" + port);
        pool.awaitStdout(Pattern.compile("hello: 1/1 warm"), Duration.ofSeconds(60));
        List<String> before = Docker.runningOf(pool.instance);
        hangup();
        pool.awaitLog(Pattern.compile("SIGHUP: started without --config \\(the built-in function\\), there is nothing "
                + "to reload; nothing changed"), Duration.ofSeconds(30));
        Thread.sleep(1000); // the JVM's own SIGHUP handling would have stopped the pool and its containers by now
        assertTrue(pool.status().get("ready").asBoolean());
        assertEquals(before, Docker.runningOf(pool.instance), "the same container, untouched");
        assertEquals(200, HttpProbe.get(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), "/", 30_000)
                .status(), "still serving");
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        assertEquals(List.of(), Docker.containersOf(pool.instance));
    }
}

package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.PoolConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher's reload-now path (SIGHUP): it loads, validates and applies at once, whether the files look
 * changed or not, and an invalid configuration is rejected with its file, line and field while nothing
 * is applied.
 */
class ConfigWatcherTest {
    @TempDir
    Path dir;

    private static String function(int min) {
        return """
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: 127.0.0.1:18181
                    pool: { min: %s, max: 4 }
                """.formatted(min);
    }

    @Test
    void reloadNowAppliesAnEditThePollCannotSee() throws Exception {
        Path f = Files.writeString(dir.resolve("a.yaml"), function(1));
        List<PoolConfig> applied = new CopyOnWriteArrayList<>();
        try (ConfigWatcher w = new ConfigWatcher(dir, ConfigWatcher.fingerprint(dir), applied::add, c -> c,
                Duration.ofHours(1))) {
            // Same size, same modification time: the poll's fingerprint does not change.
            FileTime mtime = Files.getLastModifiedTime(f);
            Files.writeString(f, function(3));
            Files.setLastModifiedTime(f, mtime);

            String outcome = w.reloadNow().get(10, TimeUnit.SECONDS);
            assertEquals("applied the configuration on SIGHUP: 1 function(s)", outcome);
            assertEquals(1, applied.size());
            assertEquals(3, applied.get(0).functions().get(0).pool().min());
        }
    }

    @Test
    void anInvalidConfigurationIsRejectedWithFileLineAndFieldAndNothingIsApplied() throws Exception {
        Path f = Files.writeString(dir.resolve("a.yaml"), function(1).replace("min: 1", "min: -1"));
        List<PoolConfig> applied = new CopyOnWriteArrayList<>();
        try (ConfigWatcher w = new ConfigWatcher(dir, ConfigWatcher.fingerprint(dir), applied::add, c -> c,
                Duration.ofHours(1))) {
            String outcome = w.reloadNow().get(10, TimeUnit.SECONDS);
            assertEquals("the configuration on SIGHUP was rejected, still serving the previous one: " + f
                    + ":5: functions.hello.pool.min: must be >= 0 (was -1)", outcome);
            assertEquals(List.of(), applied);

            // Garbage is no better than a bad value, and what the target refuses is reported too.
            Files.writeString(f, "functions: [\u0000\n");
            assertTrue(w.reloadNow().get(10, TimeUnit.SECONDS).startsWith(
                    "the configuration on SIGHUP was rejected, still serving the previous one: " + f + ":"));
            assertEquals(List.of(), applied);
        }
        Files.writeString(f, function(1));
        try (ConfigWatcher w = new ConfigWatcher(dir, ConfigWatcher.fingerprint(dir), c -> {
            throw new IllegalStateException("function 'hello': image faas-hello:latest does not exist locally");
        }, c -> c, Duration.ofHours(1))) {
            assertEquals("the configuration on SIGHUP could not be applied, still serving the previous one: "
                    + "function 'hello': image faas-hello:latest does not exist locally",
                    w.reloadNow().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aStormOfReloadsWhileOneRunsIsOneMoreReload() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), function(1));
        List<PoolConfig> applied = new CopyOnWriteArrayList<>();
        CountDownLatch inFirst = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (ConfigWatcher w = new ConfigWatcher(dir, ConfigWatcher.fingerprint(dir), c -> {
            applied.add(c);
            inFirst.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, c -> c, Duration.ofHours(1))) {
            CompletableFuture<String> first = w.reloadNow();
            assertTrue(inFirst.await(10, TimeUnit.SECONDS));
            CompletableFuture<String> next = w.reloadNow();
            for (int i = 0; i < 1000; i++) {
                assertSame(next, w.reloadNow(), "joins the reload that waits to begin");
            }
            release.countDown();
            assertEquals("applied the configuration on SIGHUP: 1 function(s)", first.get(10, TimeUnit.SECONDS));
            assertEquals("applied the configuration on SIGHUP: 1 function(s)", next.get(10, TimeUnit.SECONDS));
            assertEquals(2, applied.size(), "1001 asks while one ran: one more reload, not 1001");
            assertNotSame(next, w.reloadNow(), "once begun, a new ask queues a new reload");
        }
    }

    @Test
    void aReloadAfterCloseChangesNothing() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), function(1));
        List<PoolConfig> applied = new CopyOnWriteArrayList<>();
        ConfigWatcher w = new ConfigWatcher(dir, ConfigWatcher.fingerprint(dir), applied::add, c -> c,
                Duration.ofHours(1));
        w.close();
        assertEquals("faas-pool is stopping: nothing reloaded", w.reloadNow().get(10, TimeUnit.SECONDS));
        assertEquals(List.of(), applied);
    }

    @Test
    void theTargetMayThrowIoException() throws Exception {
        Files.writeString(dir.resolve("a.yaml"), function(1));
        try (ConfigWatcher w = new ConfigWatcher(dir, ConfigWatcher.fingerprint(dir), c -> {
            throw new IOException("127.0.0.1:18181: Address already in use");
        }, c -> c, Duration.ofHours(1))) {
            assertEquals("the configuration on SIGHUP could not be applied, still serving the previous one: "
                    + "127.0.0.1:18181: Address already in use", w.reloadNow().get(10, TimeUnit.SECONDS));
        }
    }
}

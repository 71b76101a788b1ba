package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Editing pool-config while faas-pool runs: applied without dropping a request, or rejected and kept. */
class ReloadIT {
    @TempDir
    Path work;
    private PoolProcess pool;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    private static String function(String name, int port, String mode, int min) {
        return """
                functions:
                  %s:
                    image: faas-hello:latest
                    listen: 127.0.0.1:%d
                    mode: %s
                    pool: { min: %d, max: 4, scaling: fixed }
                """.formatted(name, port, mode, min);
    }

    @Test
    void editsApplyWhileServingAndAnInvalidEditIsRejected() throws Exception {
        Path dir = Files.createDirectories(work.resolve("pool-config"));
        int portA = PoolProcess.freePort();
        int portB = PoolProcess.freePort();
        Path a = Files.writeString(dir.resolve("a.yaml"), function("a", portA, "fork", 1));
        pool = PoolProcess.start(work, "reload", "--config", dir.toString());
        pool.awaitStdout(Pattern.compile("a: 1/1 warm"), Duration.ofSeconds(60));

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

        // A new function: it warms and serves on its own port.
        Path b = Files.writeString(dir.resolve("b.yaml"), function("b", portB, "oneshot", 1));
        pool.awaitLog(Pattern.compile("applied the edited configuration: 2 function"), Duration.ofSeconds(30));
        pool.awaitFunction("b", f -> f.get("warm").asInt() == 1, Duration.ofSeconds(60));
        InetSocketAddress addressB = new InetSocketAddress(InetAddress.getLoopbackAddress(), portB);
        assertEquals(200, HttpProbe.get(addressB, "/", 30_000).status());

        // A changed function: resized in place.
        Files.writeString(a, function("a", portA, "fork", 2));
        pool.awaitFunction("a", f -> f.get("min").asInt() == 2 && f.get("warm").asInt() >= 1
                && f.get("warm").asInt() + f.get("busy").asInt() == 2, Duration.ofSeconds(60));

        // An invalid edit: rejected with its file, line and field; the running configuration stays.
        Files.writeString(a, function("a", portA, "fork", 2).replace("min: 2", "min: -1"));
        pool.awaitLog(Pattern.compile("rejected, still serving the previous one: " + Pattern.quote(a.toString())
                + ":6: functions\\.a\\.pool\\.min: must be >= 0 \\(was -1\\)"), Duration.ofSeconds(30));
        assertEquals(2, pool.function("a").get("min").asInt());
        Files.writeString(a, function("a", portA, "fork", 2));

        // A removed function: its port closes, its containers go.
        Files.delete(b);
        pool.awaitLog(Pattern.compile("applied the edited configuration: 1 function"), Duration.ofSeconds(30));
        assertThrows(ConnectException.class, () -> HttpProbe.get(addressB, "/", 5_000));
        pool.awaitFunction("a", f -> true, Duration.ofSeconds(1));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Docker.run("ps", "-q", "--filter", "label=dev.faaspool.instance=" + pool.instance,
                "--filter", "label=dev.faaspool.function=b").size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(List.of(), Docker.run("ps", "-q", "--filter", "label=dev.faaspool.instance=" + pool.instance,
                "--filter", "label=dev.faaspool.function=b"), "b's containers are gone");

        loading.set(false);
        load.join(60_000);
        Map<String, Integer> counts = new TreeMap<>();
        outcomes.forEach(o -> counts.merge(o, 1, Integer::sum));
        assertTrue(outcomes.size() > 10 && outcomes.stream().allMatch("200"::equals),
                "every request to a, throughout, was served: " + counts);
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        assertEquals(List.of(), Docker.containersOf(pool.instance));
    }
}

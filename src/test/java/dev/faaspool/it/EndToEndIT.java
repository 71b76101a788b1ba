package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in function through the jar, on a real Docker engine, under concurrent load. */
class EndToEndIT {
    private static final Pattern WARM_LINE = Pattern.compile("hello: 4/4 warm in [0-9.]+ s");

    @TempDir
    Path work;
    private PoolProcess pool;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void concurrentClientsAllGetTheHandlersAnswerAndNothingIsLeftBehind() throws Exception {
        int port = PoolProcess.freePort();
        pool = PoolProcess.start(work, "e2e", "--pool-size", "4", "--listen", "127.0.0.1:" + port);
        pool.awaitStdout(WARM_LINE, Duration.ofSeconds(60));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);

        int clients = 8;
        int perClient = 25;
        ExecutorService ex = Executors.newFixedThreadPool(clients);
        List<Future<Map<Integer, Integer>>> results = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            results.add(ex.submit(() -> {
                Map<Integer, Integer> byStatus = new HashMap<>();
                for (int i = 0; i < perClient; i++) {
                    HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
                    if (r.status() == 200) {
                        assertEquals("Hello from faas-pool!\n", r.body());
                    }
                    byStatus.merge(r.status(), 1, Integer::sum);
                }
                return byStatus;
            }));
        }
        Map<Integer, Integer> total = new HashMap<>();
        for (Future<Map<Integer, Integer>> f : results) {
            f.get().forEach((k, v) -> total.merge(k, v, Integer::sum));
        }
        ex.shutdown();
        assertEquals(Map.of(200, clients * perClient), total, "status codes of all requests");

        JsonNode hello = pool.awaitFunction("hello",
                f -> f.get("warm").asInt() == 4 && f.get("starting").asInt() == 0 && f.get("busy").asInt() == 0,
                Duration.ofSeconds(60));
        JsonNode requests = hello.get("requests");
        assertEquals(clients * perClient, requests.get("warm").asLong() + requests.get("cold").asLong(),
                "every request is counted warm or cold: " + requests);
        assertEquals(0, requests.get("rejected").asLong());
        List<String> running = Docker.runningOf(pool.instance);
        assertEquals(4, running.size(), "the pool is back to its 4 warm containers: " + running);

        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        Map<String, Long> counts = summaryCounts(Files.readString(pool.summaryFile()), "hello");
        assertEquals(clients * perClient, counts.get("warm") + counts.get("cold"), "summary: " + counts);
        assertTrue(counts.get("start") >= clients * perClient, "a container start per request at least: " + counts);
        assertTrue(pool.stdout().contains("p99 ms"), "the summary is printed at shutdown");

        assertEquals(List.of(), Docker.containersOf(pool.instance), "containers left after shutdown");
        assertFalse(Files.exists(pool.runRoot.resolve(pool.instance)), "the instance's run directory is removed");
        assertEquals(List.of(), descendantsOf(pool.pid()), "processes left after shutdown");
    }

    /** The {@code count} column of the summary for each kind of {@code function}. */
    static Map<String, Long> summaryCounts(String summary, String function) {
        Map<String, Long> counts = new HashMap<>();
        summary.lines().map(l -> l.trim().split("\\s+"))
                .filter(f -> f.length >= 3 && f[0].equals(function))
                .forEach(f -> counts.put(f[1], Long.parseLong(f[2])));
        return counts;
    }

    private static List<Long> descendantsOf(long pid) {
        return ProcessHandle.of(pid).map(p -> p.descendants().map(ProcessHandle::pid).toList()).orElse(List.of());
    }
}

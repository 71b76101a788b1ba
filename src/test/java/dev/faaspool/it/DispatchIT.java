package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event-driven dispatch path against clients and containers that try to stall it, on real
 * containers: idle and resetting clients take no container, one function's idle clients do not take
 * another's capacity, and a container that breaks the control protocol is removed within bounds.
 */
class DispatchIT {
    @TempDir
    Path work;
    private PoolProcess pool;
    private final Functions functions = new Functions();
    private final List<Socket> held = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Socket s : held) {
            s.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    private PoolProcess start(String test, Map<String, String> fns) throws Exception {
        pool = functions.start(work, test, fns);
        return pool;
    }

    private void openIdle(String fn, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            s.connect(functions.address(fn), 5_000);
            held.add(s);
        }
    }

    private List<HttpProbe.Response> requests(String fn, int n, int clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<HttpProbe.Response>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> HttpProbe.get(functions.address(fn), "/", 30_000)));
            }
            List<HttpProbe.Response> out = new ArrayList<>();
            for (Future<HttpProbe.Response> f : fs) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void idleClientsTakeNoContainerAndRealRequestsAreServedWarmBesideThem() throws Exception {
        start("idle", Map.of("fn", """
                image: faas-hello:latest
                mode: fork
                pool: { min: 4, max: 4, scaling: fixed }
                timeouts: { first-byte: 60s }
                """));
        openIdle("fn", 300);
        Thread.sleep(500);
        assertEquals(0, pool.function("fn").get("busy").asInt(), "no container is busy for an idle connection");
        for (HttpProbe.Response r : requests("fn", 50, 8)) {
            assertEquals(200, r.status(), r.toString());
        }
        // A client may read its answer before the loop has read the ACK that counts it: wait for the count.
        pool.awaitFunction("fn", f -> f.get("requests").get("warm").asInt() == 50 && f.get("busy").asInt() == 0,
                Duration.ofSeconds(10));
    }

    @Test
    void twoThousandIdleClientsOfOneFunctionLeaveAnotherServing() throws Exception {
        start("isolation", Map.of(
                "crowded", """
                        image: faas-hello:latest
                        pool: { min: 1, max: 2, scaling: fixed }
                        timeouts: { first-byte: 60s }
                        """,
                "other", """
                        image: faas-hello:latest
                        mode: fork
                        pool: { min: 2, max: 2, scaling: fixed }
                        """));
        openIdle("crowded", 2_000);
        for (HttpProbe.Response r : requests("other", 68, 4)) {
            assertEquals(200, r.status(), r.toString());
        }
        assertEquals(0, pool.function("crowded").get("busy").asInt());
    }

    @Test
    void clientsThatConnectAndResetUseNoOneshotContainer() throws Exception {
        start("reset", Map.of("fn", """
                image: faas-hello:latest
                pool: { min: 2, max: 4, scaling: fixed }
                """));
        String before = HttpProbe.get(pool.admin, "/metrics", 5_000).body();
        for (int i = 0; i < 200; i++) {
            Socket s = new Socket();
            s.connect(functions.address("fn"), 5_000);
            s.setSoLinger(true, 0);
            s.close();
        }
        Thread.sleep(1_000);
        String after = HttpProbe.get(pool.admin, "/metrics", 5_000).body();
        assertEquals(starts(before), starts(after), "no container was used, so none was started to replace one");
        assertEquals(0, pool.function("fn").get("busy").asInt());
        assertEquals(200, HttpProbe.get(functions.address("fn"), "/", 30_000).status());
    }

    private static long starts(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("faas_container_starts_total{function=\"fn\"}"))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void containersThatBreakTheHandOffAreRemovedWithinBoundsAndTheClientGets503() throws Exception {
        start("protocol", Map.of(
                "silent", """
                        image: faas-test-hostile:latest
                        command: ["/hostile", "--control", "never-ack"]
                        mode: persistent
                        pool: { min: 4, max: 4, scaling: fixed }
                        timeouts: { acquire: 8s }
                        """,
                "liar", """
                        image: faas-test-hostile:latest
                        command: ["/hostile", "--control", "wrong-reply"]
                        mode: persistent
                        pool: { min: 4, max: 4, scaling: fixed }
                        timeouts: { acquire: 8s }
                        """));
        for (String fn : List.of("silent", "liar")) {
            long t0 = System.nanoTime();
            HttpProbe.Response r;
            try {
                r = HttpProbe.get(functions.address(fn), "/", 30_000);
            } catch (IOException e) {
                r = null; // the liar served the client itself: whatever it got, faas-pool did not pass it on without bound
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (fn.equals("silent")) {
                assertEquals(503, r.status(), String.valueOf(r));
                assertTrue(ms < 9_000, "within the acquire timeout: " + ms + " ms");
            }
            Thread.sleep(1_000);
            int retired = pool.function(fn).get("requests").get("redispatched").asInt();
            assertTrue(retired >= 1 && retired <= 3, fn + ": at most retries + 1 hand-offs refused: " + retired);
        }
        String log = pool.stderr();
        assertTrue(log.contains("no ACK within 2000 ms"), log);
        assertTrue(log.contains("instead of ACK"), log);
    }
}

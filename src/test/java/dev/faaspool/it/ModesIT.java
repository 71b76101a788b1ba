package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Handler modes and the pool's limits on a request's and a container's life, with real containers. */
class ModesIT {
    @TempDir
    Path work;
    private final OneFunction fn = new OneFunction();
    private InetSocketAddress address;

    @AfterEach
    void cleanUp() throws Exception {
        fn.close();
    }

    private PoolProcess start(String test, String functionYaml) throws Exception {
        PoolProcess p = fn.start(work, test, functionYaml);
        address = fn.address();
        p.awaitStdout(Pattern.compile("fn: \\d+/\\d+ warm"), Duration.ofSeconds(60));
        return p;
    }

    private static String onlyContainer(PoolProcess pool) throws Exception {
        List<String> running = Docker.runningOf(pool.instance);
        assertEquals(1, running.size(), "running: " + running);
        return running.get(0);
    }

    @Test
    void forkModeServesManyRequestsPerContainerAndRecyclesItAfterMaxUses() throws Exception {
        PoolProcess pool = start("fork", """
                image: faas-hello:latest
                mode: fork
                pool: { min: 1, max: 1, max-uses: 3 }
                """);
        String first = onlyContainer(pool);
        for (int i = 1; i <= 3; i++) {
            HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
            assertEquals(200, r.status());
            assertEquals("Hello from faas-pool!\n", r.body());
            if (i < 3) {
                pool.awaitFunction("fn", f -> f.get("warm").asInt() == 1, Duration.ofSeconds(10));
                assertEquals(first, onlyContainer(pool), "request " + i + " was served by the same container");
            }
        }
        pool.awaitFunction("fn", f -> f.get("warm").asInt() == 1 && f.get("starting").asInt() == 0,
                Duration.ofSeconds(30));
        assertNotEquals(first, onlyContainer(pool), "after 3 uses the container is replaced");
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status());

        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        Map<String, Long> counts = EndToEndIT.summaryCounts(Files.readString(pool.summaryFile()), "fn");
        assertEquals(4, counts.get("warm") + counts.get("cold"));
        assertEquals(4, counts.get("service"), "the end of every request is known: " + counts);
        assertEquals(2, counts.get("start"), "two containers served four requests: " + counts);
    }

    @Test
    void aContainerAboutToBeRecycledHasItsReplacementWarmBeforeItGoes() throws Exception {
        PoolProcess pool = start("ahead", """
                image: faas-hello:latest
                mode: fork
                pool: { min: 1, max: 2, max-uses: 4, prewarm: off }
                """);
        String first = onlyContainer(pool);
        for (int i = 1; i <= 3; i++) { // within one use of max-uses 4: its replacement starts ahead
            assertEquals(200, HttpProbe.get(address, "/", 30_000).status());
        }
        pool.awaitLog(Pattern.compile("recycling slot fn-\\d+ \\(container " + first.substring(0, 12)
                + "\\) after 3 of its 4 uses: its replacement is warm"), Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Docker.runningOf(pool.instance).contains(first) && System.nanoTime() < deadline) {
            Thread.sleep(100); // removal follows retirement
        }
        String second = onlyContainer(pool);
        assertNotEquals(first, second, "replaced without a request waiting for it");
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status());
        JsonNode f = pool.awaitFunction("fn", s -> s.get("requests").get("warm").asInt() == 4, Duration.ofSeconds(5));
        assertEquals(0, f.get("requests").get("cold").asInt(), "no request waited: " + f);
        assertEquals(second, onlyContainer(pool));
    }

    @Test
    void aOneshotRequestPastItsTimeoutLosesItsContainerAndTheClientGets504() throws Exception {
        PoolProcess pool = start("timeout1", """
                image: faas-test-hostile:latest
                pool: { min: 1, max: 2 }
                timeouts: { request: 1s }
                """);
        assertConnectionClosedByTheTimeout(pool);
    }

    @Test
    void aForkModeRequestPastItsTimeoutLosesItsContainerToo() throws Exception {
        PoolProcess pool = start("timeout2", """
                image: faas-test-hostile:latest
                mode: fork
                pool: { min: 1, max: 2 }
                timeouts: { request: 1s }
                """);
        assertConnectionClosedByTheTimeout(pool);
    }

    /** A handler that never answers (the hostile handler's /hang) is stopped by the pool, which answers 504. */
    private void assertConnectionClosedByTheTimeout(PoolProcess pool) throws Exception {
        String container = onlyContainer(pool);
        long t0 = System.nanoTime();
        HttpProbe.Response r = HttpProbe.get(address, "/hang", 20_000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.status(), r.toString());
        assertEquals("function 'fn' did not answer within its 1000 ms request timeout\n", r.body());
        assertTrue(ms >= 900 && ms < 10_000, "ended after the 1 s request timeout, not before: " + ms + " ms");
        pool.awaitLog(Pattern.compile("its request ran past the 1000 ms request timeout"), Duration.ofSeconds(10));
        pool.awaitFunction("fn", f -> f.get("warm").asInt() >= 1 && f.get("busy").asInt() == 0, Duration.ofSeconds(30));
        assertTrue(Docker.awaitStopped(pool.instance, container, 15), "the overrunning container is gone");
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status(), "and the function still serves");
    }

    @Test
    void aFunctionScalesToZeroOnceIdlePastItsTtlAndStartsAgainOnDemand() throws Exception {
        PoolProcess pool = start("idle", """
                image: faas-hello:latest
                mode: fork
                pool: { min: 0, max: 2, idle-ttl: 2s, prewarm: off, initial: 0 }
                """);
        assertEquals(java.util.List.of(), Docker.runningOf(pool.instance), "min 0: nothing warm before a request");
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status(), "the first request waits for a start");
        pool.awaitFunction("fn", f -> f.get("targetReason").asText().equals("keep-alive") && f.get("target").asInt() == 1,
                Duration.ofSeconds(5));
        pool.awaitLog(Pattern.compile("retiring slot fn-\\d+ .*idle for \\d+ ms, beyond the 0 ready"),
                Duration.ofSeconds(30));
        pool.awaitFunction("fn", f -> f.get("warm").asInt() == 0 && f.get("starting").asInt() == 0,
                Duration.ofSeconds(30));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Docker.runningOf(pool.instance).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100); // removal follows retirement
        }
        assertEquals(java.util.List.of(), Docker.runningOf(pool.instance), "scaled to zero");
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status(), "and starts again on demand");
        pool.awaitFunction("fn", f -> f.get("requests").get("cold").asInt() == 2
                && f.get("requests").get("warm").asInt() == 0, Duration.ofSeconds(10));
    }

    @Test
    void aFunctionWithMinZeroIsWarmForItsFirstRequestAndScalesToZeroIfNoneComes() throws Exception {
        PoolProcess pool = start("initial", """
                image: faas-hello:latest
                mode: oneshot
                pool: { min: 0, max: 2, idle-ttl: 60s }
                """);
        pool.awaitFunction("fn", f -> f.get("targetReason").asText().equals("deployed") && f.get("warm").asInt() == 1,
                Duration.ofSeconds(30));
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status());
        pool.awaitFunction("fn", f -> f.get("requests").get("warm").asInt() == 1
                && f.get("requests").get("cold").asInt() == 0, Duration.ofSeconds(10));
        pool.close();

        PoolProcess uncalled = start("initial-idle", """
                image: faas-hello:latest
                mode: oneshot
                pool: { min: 0, max: 2, idle-ttl: 10s }
                """);
        uncalled.awaitFunction("fn", f -> f.get("warm").asInt() == 1, Duration.ofSeconds(30));
        uncalled.awaitFunction("fn", f -> f.get("targetReason").asText().equals("no traffic yet")
                && f.get("warm").asInt() == 0 && f.get("starting").asInt() == 0, Duration.ofSeconds(60));
    }
}

package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin endpoint as operators and Prometheus use it. */
class AdminIT {
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
    void metricsPassPromtoolAndCountWhatHappened() throws Exception {
        int port = PoolProcess.freePort();
        pool = PoolProcess.start(work, "metrics", "--pool-size", "2", "--listen", "127.0.0.1:" + port);
        pool.awaitStdout(Pattern.compile("hello: 2/2 warm"), Duration.ofSeconds(60));
        assertEquals(200, HttpProbe.get(pool.admin, "/readyz", 5_000).status());
        assertEquals(200, HttpProbe.get(pool.admin, "/healthz", 5_000).status());

        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        for (int i = 0; i < 5; i++) {
            assertEquals(200, HttpProbe.get(address, "/", 30_000).status());
        }
        pool.awaitFunction("hello", f -> f.get("warm").asInt() == 2 && f.get("busy").asInt() == 0,
                Duration.ofSeconds(60));
        Thread.sleep(1_500); // one latency-log interval (--report-interval 1s), so the histograms hold every request

        HttpProbe.Response r = HttpProbe.get(pool.admin, "/metrics", 5_000);
        assertEquals(200, r.status());
        assertTrue(r.headers().get("content-type").startsWith("text/plain; version=0.0.4"), r.headers().toString());
        assertEquals("", promtoolCheck(r.body()), "promtool check metrics reports nothing");

        String m = r.body();
        assertEquals(5, value(m, "faas_requests_total\\{function=\"hello\",outcome=\"warm\"\\}")
                + value(m, "faas_requests_total\\{function=\"hello\",outcome=\"cold\"\\}"));
        assertEquals(5, value(m, "faas_dispatch_seconds_count\\{function=\"hello\",kind=\"warm\"\\}")
                + value(m, "faas_dispatch_seconds_count\\{function=\"hello\",kind=\"cold\"\\}"));
        assertEquals(5, value(m, "faas_request_service_seconds_count\\{function=\"hello\"\\}"));
        assertEquals(2, value(m, "faas_pool_slots\\{function=\"hello\",state=\"warm\"\\}"));
        assertEquals(0, value(m, "faas_pool_slots\\{function=\"hello\",state=\"busy\"\\}"));
        assertEquals(5, value(m, "faas_container_recycles_total\\{function=\"hello\",reason=\"used\"\\}"));
        assertTrue(value(m, "faas_container_starts_total\\{function=\"hello\"\\}") >= 7, m);
        assertEquals(value(m, "faas_dispatch_seconds_count\\{function=\"hello\",kind=\"warm\"\\}"),
                value(m, "faas_dispatch_seconds_bucket\\{function=\"hello\",kind=\"warm\",le=\"\\+Inf\"\\}"));

        assertEquals("hello", pool.status().get("functions").get(0).get("name").asText());

        // The JVM's and the process's own, from the Prometheus client's instrumentation module.
        assertTrue(value(m, "jvm_memory_used_bytes\\{area=\"heap\"\\}") > 0, m);
        assertTrue(value(m, "process_cpu_seconds_total") > 0, m);
        assertTrue(value(m, "jvm_threads_current") > 0, m);
    }

    @Test
    void aNonLoopbackAdminAddressWithoutATokenRefusesToStart() throws Exception {
        pool = PoolProcess.startWithAdminOn("0.0.0.0", work, "opennet", "--pool-size", "1",
                "--listen", "127.0.0.1:" + PoolProcess.freePort());
        assertEquals(2, pool.awaitExit(Duration.ofSeconds(30)), pool.stderr());
        assertTrue(pool.stderr().contains("is not a loopback address") && pool.stderr().contains("--admin-token-file"),
                pool.stderr());
        assertEquals(List.of(), Docker.containersOf(pool.instance), "no container was started");
    }

    @Test
    void withATokenFileItServesBeyondLoopbackToTheTokenOnly() throws Exception {
        String token = "it-" + java.util.UUID.randomUUID().toString().replace("-", "");
        Path file = work.resolve("admin.token");
        java.nio.file.Files.writeString(file, token + "\n");
        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        pool = PoolProcess.startWithAdminOn("0.0.0.0", work, "token", "--pool-size", "1",
                "--listen", "127.0.0.1:" + PoolProcess.freePort(), "--admin-token-file", file.toString());
        pool.awaitStdout(Pattern.compile("hello: 1/1 warm"), Duration.ofSeconds(60));

        HttpProbe.Response ok = HttpProbe.get(pool.admin, "/status", 5_000, "Authorization: Bearer " + token);
        assertEquals(200, ok.status(), ok.body());
        assertEquals("hello", new com.fasterxml.jackson.databind.ObjectMapper().readTree(ok.body())
                .get("functions").get(0).get("name").asText());
        assertEquals(200, HttpProbe.get(pool.admin, "/metrics", 5_000, "Authorization: Bearer " + token).status());
        for (String[] bad : List.of(new String[0], new String[] {"Authorization: Bearer wrong-" + token},
                new String[] {"Authorization: Bearer"})) {
            for (String path : List.of("/status", "/metrics")) {
                HttpProbe.Response r = HttpProbe.get(pool.admin, path, 5_000, bad);
                assertEquals(401, r.status(), path + " " + List.of(bad));
                assertEquals("Bearer realm=\"faas-pool\"", r.headers().get("www-authenticate"));
                assertFalse(r.body().contains("hello"), r.body());
            }
        }
        assertEquals(200, HttpProbe.get(pool.admin, "/readyz", 5_000).status(), "probes need no token");
        assertFalse(pool.stdout().contains(token) || pool.stderr().contains(token), "the token is never printed");
        assertEquals(0, pool.stop(Duration.ofSeconds(30)));
        assertFalse(pool.stdout().contains(token) || pool.stderr().contains(token), "the token is never printed");
    }

    @Test
    void readyzAnswers503UntilEveryFunctionIsWarm() throws Exception {
        // faas-runtime:slim without a handler command never becomes warm (its init exits 2).
        int port = PoolProcess.freePort();
        Path config = java.nio.file.Files.writeString(work.resolve("pool.yaml"), """
                functions:
                  never:
                    image: faas-runtime:slim
                    listen: 127.0.0.1:%d
                    pool: { min: 1, max: 1 }
                """.formatted(port));
        pool = PoolProcess.start(work, "readyz", "--config", config.toString());
        pool.awaitLog(Pattern.compile("did not become warm"), Duration.ofSeconds(60));
        HttpProbe.Response r = HttpProbe.get(pool.admin, "/readyz", 5_000);
        assertEquals(503, r.status());
        assertEquals(200, HttpProbe.get(pool.admin, "/healthz", 5_000).status());
        assertEquals(false, pool.status().get("ready").asBoolean());
    }

    /** The first sample of {@code series} (a regex for name and labels). */
    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), "no sample " + series + " in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    /** What {@code promtool check metrics} prints about {@code text}; fails if it exits non-zero. */
    private static String promtoolCheck(String text) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.strip();
    }
}

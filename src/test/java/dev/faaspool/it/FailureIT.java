package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What users see when things go wrong: dead containers, exhausted pools, broken functions and configs. */
class FailureIT {
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
        return p;
    }

    @Test
    void killedWarmContainersAreReplacedAndNoRequestFails() throws Exception {
        PoolProcess pool = start("kill", """
                image: faas-hello:latest
                pool: { min: 2, max: 4 }
                """);
        pool.awaitStdout(Pattern.compile("fn: 2/2 warm"), Duration.ofSeconds(60));
        List<String> warm = Docker.runningOf(pool.instance);
        assertEquals(2, warm.size());

        List<String> kill = new ArrayList<>(List.of("kill"));
        kill.addAll(warm);
        Docker.run(kill.toArray(String[]::new));
        for (int i = 0; i < 10; i++) {
            HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
            assertEquals(200, r.status(), "request " + i + ": " + r);
        }

        pool.awaitFunction("fn", f -> f.get("warm").asInt() >= 2 && f.get("busy").asInt() == 0, Duration.ofSeconds(60));
        pool.awaitLog(Pattern.compile("while warm; exit code 137"), Duration.ofSeconds(10));
        List<String> now = Docker.runningOf(pool.instance);
        assertTrue(now.stream().noneMatch(warm::contains), "the killed containers are gone: " + now);
    }

    @Test
    void aRequestThatFindsNoWarmSlotInTimeIsAnswered503() throws Exception {
        PoolProcess pool = start("busy", """
                image: faas-hello:latest
                pool: { min: 1, max: 1 }
                timeouts: { acquire: 1s }
                """);
        pool.awaitStdout(Pattern.compile("fn: 1/1 warm"), Duration.ofSeconds(60));
        try (Socket holder = new Socket()) {
            // Takes the only container and keeps it busy: the handler waits for the rest of a request that
            // has begun (a connection that sent nothing yet would not be given a container at all).
            holder.connect(address, 5_000);
            holder.setSoTimeout(30_000);
            OutputStream out = holder.getOutputStream();
            out.write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            pool.awaitFunction("fn", f -> f.get("busy").asInt() == 1, Duration.ofSeconds(10));

            long t0 = System.nanoTime();
            HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(503, r.status(), r.toString());
            assertEquals("1", r.headers().get("retry-after"));
            assertTrue(r.body().contains("no warm container of function 'fn' within 1000 ms"), r.body());
            assertTrue(waited >= 900 && waited < 10_000, "answered after the acquire timeout, not before: " + waited);

            out.write("Host: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            HttpProbe.Response held = HttpProbe.read(holder.getInputStream());
            assertEquals(200, held.status(), "the held request is still served");
        }
        assertEquals(1, pool.function("fn").get("requests").get("rejected").asInt());
    }

    @Test
    void aFunctionWhoseContainersNeverWarmIsAnswered503AndDiagnosed() throws Exception {
        // faas-runtime:slim has no handler command: its init exits 2 at once.
        PoolProcess pool = start("nowarm", """
                image: faas-runtime:slim
                pool: { min: 1, max: 2 }
                timeouts: { acquire: 1s }
                """);
        pool.awaitLog(Pattern.compile("did not become warm: .*exit code 2; last output: faas-init: usage"),
                Duration.ofSeconds(60));
        HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
        assertEquals(503, r.status(), r.toString());
    }

    @Test
    void aHandlerThatCannotBeExecutedIsAnswered502() throws Exception {
        PoolProcess pool = start("noexec", """
                image: faas-hello:latest
                command: ["/no-such-handler"]
                pool: { min: 1, max: 2 }
                """);
        pool.awaitStdout(Pattern.compile("fn: 1/1 warm"), Duration.ofSeconds(60));
        HttpProbe.Response r = HttpProbe.get(address, "/", 30_000);
        assertEquals(502, r.status(), r.toString());
        assertTrue(r.body().contains("could not start its handler: No such file or directory"), r.body());
        assertEquals(1, pool.function("fn").get("requests").get("failed").asInt());
    }

    @Test
    void aConfigWithAWrongValueIsRejectedWithFileLineAndField() throws Exception {
        PoolProcess pool = start("badconfig", """
                image: faas-hello:latest
                pool:
                  min: -1
                """);
        assertEquals(2, pool.awaitExit(Duration.ofSeconds(30)));
        Path file = work.resolve("pool.yaml");
        assertEquals("faas-pool: invalid configuration: " + file + ":6: functions.fn.pool.min: must be >= 0 (was -1)",
                pool.stderr().strip());
        assertEquals(List.of(), Docker.containersOf(pool.instance));
    }

    @Test
    void aConfigWithAnUnknownFieldIsRejectedWithFileLineAndField() throws Exception {
        PoolProcess pool = start("typo", """
                image: faas-hello:latest
                pool: { min: 1, maxx: 3 }
                """);
        assertEquals(2, pool.awaitExit(Duration.ofSeconds(30)));
        assertTrue(pool.stderr().contains(work.resolve("pool.yaml") + ":5: functions.fn.pool.maxx: unknown field;"
                + " expected one of idle-ttl, initial, max, max-uses, min, prewarm, scaling, schedules"), pool.stderr());
    }

    @Test
    void containersOfACrashedRunAreRemovedByTheNextStart() throws Exception {
        PoolProcess first = start("crash", """
                image: faas-hello:latest
                pool: { min: 2, max: 4 }
                """);
        first.awaitStdout(Pattern.compile("fn: 2/2 warm"), Duration.ofSeconds(60));
        List<String> orphans = Docker.containersOf(first.instance);
        first.kill();
        assertEquals(orphans, Docker.containersOf(first.instance), "SIGKILL leaves the containers running");

        PoolProcess second = first.again("--config", work.resolve("pool.yaml").toString());
        fn.track(second);
        second.awaitLog(Pattern.compile("removing 2 container\\(s\\) left by an earlier run of instance '"
                + first.instance + "'"), Duration.ofSeconds(60));
        second.awaitStdout(Pattern.compile("fn: 2/2 warm"), Duration.ofSeconds(60));
        List<String> now = Docker.containersOf(first.instance);
        assertTrue(now.stream().noneMatch(orphans::contains), "orphans removed: " + now);

        assertEquals(0, second.stop(Duration.ofSeconds(60)));
        assertEquals(List.of(), Docker.containersOf(first.instance));
        assertFalse(Files.exists(second.runRoot.resolve(second.instance)));
    }
}

package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host boundary, attacked by a hostile handler (src/test/hostile, image faas-test-hostile:latest)
 * on real containers: nothing a function does reaches a host file, the pool's timers or another
 * instance, and a handler's death is diagnosed, counted and answered.
 */
class AdversarialIT {
    private static final String IMAGE = "faas-test-hostile:latest";
    @TempDir
    Path work;
    private final List<PoolProcess> pools = new ArrayList<>();
    private final Functions functions = new Functions();

    @AfterEach
    void cleanUp() throws Exception {
        for (PoolProcess p : pools) {
            p.close();
        }
    }

    /** Starts faas-pool on the functions {@code name -> yaml}, each on the hostile image. */
    private PoolProcess start(String test, Map<String, String> functions) throws Exception {
        Map<String, String> withImage = new LinkedHashMap<>();
        functions.forEach((fn, yaml) -> withImage.put(fn, "image: " + IMAGE + "\n" + yaml));
        PoolProcess p = this.functions.start(work, test, withImage);
        pools.add(p);
        return p;
    }

    private HttpProbe.Response get(String fn, String path, int timeoutMillis) throws IOException {
        return HttpProbe.get(functions.address(fn), path, timeoutMillis);
    }

    private static Map<String, String> fields(String body) {
        Map<String, String> m = new LinkedHashMap<>();
        body.lines().filter(l -> l.contains("=")).forEach(l -> m.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return m;
    }

    @Test
    void theSlotDirectoryIsReadOnlyToTheFunction() throws Exception {
        PoolProcess pool = start("readonly", Map.of("fn", """
                mode: fork
                pool: { min: 1, max: 2 }
                """));
        Map<String, String> probe = fields(get("fn", "/probe", 30_000).body());
        for (String op : List.of("mkdir", "creat", "symlink")) {
            assertTrue(probe.get(op).startsWith("EROFS"), op + " in /run/faas: " + probe);
        }
        assertTrue(probe.get("mount:/run/faas").contains(" /run/faas ro,"), probe.get("mount:/run/faas"));

        long t0 = System.nanoTime();
        Map<String, String> fill = fields(get("fn", "/fill?mb=100", 30_000).body());
        assertEquals("0", fill.get("written_mb"), fill.toString());
        assertTrue(fill.get("error").startsWith("EROFS"), fill.toString());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused at once");

        Map<String, String> suid = fields(get("fn", "/setuid", 30_000).body());
        assertTrue(suid.get("create").startsWith("EROFS"), suid.toString());

        // On the host: the slot directories hold the pool's sockets and nothing else, all root's.
        try (Stream<Path> all = Files.walk(pool.runRoot)) {
            for (Path p : all.toList()) {
                String name = p.getFileName().toString();
                assertFalse(name.equals("suid") || name.equals("fill"), "planted on the host: " + p);
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw new AssertionError("a regular file in the run directory: " + p);
                }
            }
        }
    }

    @Test
    void aSymlinkSwapDuringRetirementNeverDeletesAHostFile() throws Exception {
        Path canaryDir = Files.createDirectories(work.resolve("canary"));
        Path canary = Files.writeString(canaryDir.resolve("precious"), "host data");
        start("swap", Map.of("fn", """
                pool: { min: 4, max: 8 }
                timeouts: { request: 2s, acquire: 60s }
                """));
        // Each request answers, then races swapping a directory and a link to the canary in /run/faas
        // until the request timeout removes its container: 24 retirements under attack.
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpProbe.Response>> rs = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                rs.add(clients.submit(() -> get("fn", "/symlink-swap?seconds=30&target=" + canaryDir, 60_000)));
            }
            for (Future<HttpProbe.Response> f : rs) {
                Map<String, String> r = fields(f.get().body());
                assertTrue(r.get("mkdir").startsWith("EROFS"), r.toString());
            }
        } finally {
            clients.shutdownNow();
        }
        Thread.sleep(3_000); // the last ones' timeouts
        assertEquals("host data", Files.readString(canary));
        try (Stream<Path> s = Files.list(canaryDir)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void aPathMaxChainCannotStopThePoolAndAnOlderRunsLeftoversAreSweptSafely() throws Exception {
        PoolProcess pool = start("chain", Map.of(
                "fn", """
                        mode: fork
                        pool: { min: 1, max: 2 }
                        """,
                "slow", """
                        pool: { min: 1, max: 2 }
                        timeouts: { request: 2s }
                        """));
        Map<String, String> chain = fields(get("fn", "/chain?depth=3000", 30_000).body());
        assertEquals("0", chain.get("created"), chain.toString());
        assertTrue(chain.get("error").startsWith("EROFS"), chain.toString());

        // Another function's request timeout is still enforced: its client gets 504 from faas-pool.
        long t0 = System.nanoTime();
        HttpProbe.Response hang = get("slow", "/hang", 30_000);
        assertEquals(504, hang.status(), hang.toString());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        assertEquals(List.of(), Docker.containersOf(pool.instance));

        // What an older version's function could have left in its writable slot directory: a chain
        // deeper than PATH_MAX and links to a host file. The next start sweeps it without following.
        Path canary = Files.writeString(work.resolve("canary"), "host data");
        Path slot = Files.createDirectories(pool.runRoot.resolve(pool.instance).resolve("slots").resolve("fn-1"));
        Files.createSymbolicLink(slot.resolve("victim"), canary);
        Files.createSymbolicLink(slot.resolve("up"), work);
        ProcessBuilder mk = new ProcessBuilder("python3", "-c",
                "import os\nfor _ in range(3000):\n    os.mkdir('a'); os.chdir('a')\nos.symlink(os.environ['T'], 'l')\n")
                .directory(slot.toFile()).inheritIO();
        mk.environment().put("T", canary.toString());
        assertEquals(0, mk.start().waitFor());

        PoolProcess again = pool.again("--config", work.resolve("pool.yaml").toString());
        pools.add(again);
        again.awaitStdout(Pattern.compile("fn: 1/1 warm"), Duration.ofSeconds(90));
        assertEquals(200, get("fn", "/ok", 30_000).status());
        assertEquals("host data", Files.readString(canary));
        assertTrue(Files.isDirectory(work), "the linked directory survives");
        assertFalse(Files.exists(slot.resolve("victim"), LinkOption.NOFOLLOW_LINKS), "the leftovers are gone");
        assertFalse(Files.exists(slot.resolve("a"), LinkOption.NOFOLLOW_LINKS), "the chain is gone");
    }

    @Test
    void aSecondPoolWithTheSameInstanceIsRefusedAndTheFirstUnharmed() throws Exception {
        PoolProcess first = start("claim", Map.of("fn", "pool: { min: 2, max: 2, scaling: fixed }\n"));
        List<String> before = Docker.runningOf(first.instance);
        assertEquals(2, before.size());

        Path elsewhere = Files.createDirectories(work.resolve("elsewhere"));
        PoolProcess second = PoolProcess.sameInstance(first, elsewhere, "--config", work.resolve("pool.yaml").toString());
        pools.add(second);
        assertEquals(1, second.awaitExit(Duration.ofSeconds(60)));
        assertTrue(second.stderr().contains("another faas-pool runs as instance '" + first.instance + "'"),
                second.stderr());
        assertEquals(before, Docker.runningOf(first.instance), "the first instance's containers are untouched");
        assertEquals(200, get("fn", "/ok", 30_000).status());
    }

    @Test
    void handlerDeathsAreDiagnosedCountedAndAnswered() throws Exception {
        PoolProcess pool = start("deaths", Map.of(
                "one", """
                        pool: { min: 2, max: 4 }
                        limits: { memory: 32m, tmp: 4m }
                        timeouts: { request: 3s }
                        """,
                "forked", """
                        mode: fork
                        pool: { min: 1, max: 2 }
                        limits: { memory: 32m, tmp: 4m }
                        timeouts: { request: 3s }
                        """));
        record Case(String fn, String path, int status, String says, String cause) {}
        List<Case> cases = List.of(
                new Case("one", "/oom", 502, "ran out of memory before answering", "oom"),
                new Case("one", "/crash", 502, "was killed by signal", "signal"),
                new Case("one", "/exit?code=3", 502, "exited with status 3 before answering", "error"),
                new Case("one", "/hang", 504, "did not answer within its 3000 ms request timeout", "timeout"),
                new Case("forked", "/exit?code=3", 502, "exited with status 3 before answering", "error"),
                new Case("forked", "/crash", 502, "was killed by signal 6", "signal"),
                new Case("forked", "/hang", 504, "did not answer within its 3000 ms request timeout", "timeout"));
        for (Case c : cases) {
            HttpProbe.Response r = get(c.fn(), c.path(), 30_000);
            assertEquals(c.status(), r.status(), c + ": " + r);
            assertTrue(r.body().contains("function '" + c.fn() + "' " + c.says()), c + ": " + r.body());
        }
        // A response that began is the handler's: faas-pool adds nothing to it.
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(functions.address("one"), 5_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /partial HTTP/1.1\r\n\r\n".getBytes());
            String got = new String(s.getInputStream().readAllBytes());
            assertTrue(got.startsWith("HTTP/1.1 200 OK") && got.endsWith("half"), got);
        }

        pool.awaitLog(Pattern.compile("one: the handler on slot one-\\d+ .* was killed for memory \\(OOM\\)"),
                Duration.ofSeconds(10));
        pool.awaitFunction("one", f -> f.get("busy").asInt() == 0, Duration.ofSeconds(30));
        String m = HttpProbe.get(pool.admin, "/metrics", 5_000).body();
        for (Case c : cases) {
            assertTrue(count(m, "faas_handler_exits_total", c.fn(), c.cause()) >= 1, c + "\n" + m);
        }
        assertEquals(1, count(m, "faas_handler_exits_total", "one", "oom"), m);
        assertEquals(2, count(m, "faas_handler_exits_total", "one", "signal"), m); // /crash and /partial
        assertEquals(0, count(m, "faas_internal_errors_total", null, null), m);
        assertNotEquals(0, count(m, "faas_requests_total", "one", "handler_failed"), m);
    }

    /** The sum of counter {@code name}'s series that have {@code function} and the label value {@code second} (any when null). */
    private static long count(String metrics, String name, String function, String second) {
        long sum = 0;
        for (String line : metrics.lines().toList()) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            if ((function == null || line.contains("function=\"" + function + "\""))
                    && (second == null || line.contains("=\"" + second + "\""))) {
                sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}

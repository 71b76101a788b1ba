package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker engine goes away under load and comes back: every request is answered (served, or 503
 * while nothing could serve it), and the pool recovers by itself. It runs against a Docker engine of
 * its own, so restarting it disturbs nothing else.
 */
class DockerOutageIT {
    @TempDir
    Path work;
    private PoolProcess pool;
    private Dockerd dockerd;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
        if (dockerd != null) {
            dockerd.stop();
            dockerd.unmountLeftovers();
        }
    }

    @Test
    void everyRequestIsAnsweredWhileTheEngineRestartsAndThePoolRecovers() throws Exception {
        dockerd = Dockerd.start(work.resolve("d"));
        dockerd.load("faas-runtime:slim", "faas-hello:latest");
        int port = PoolProcess.freePort();
        pool = PoolProcess.start(work, "outage", "--pool-size", "2", "--listen", "127.0.0.1:" + port,
                "--docker-host", dockerd.host());
        pool.awaitStdout(Pattern.compile("hello: 2/2 warm"), Duration.ofSeconds(60));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);

        List<String> outcomes = new CopyOnWriteArrayList<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
            while (loading.get()) {
                try {
                    outcomes.add(Integer.toString(HttpProbe.get(address, "/", 30_000).status()));
                } catch (IOException e) {
                    outcomes.add("no answer: " + e);
                }
            }
        });
        load.start();
        Thread.sleep(2_000);
        dockerd.stop();
        Thread.sleep(3_000);
        int before = outcomes.size();
        dockerd = Dockerd.start(work.resolve("d"));
        // Recovered: requests are served again. Not "a slot is warm": this load takes every oneshot container
        // the moment it is ready, so whether one is ever seen warm under it is a race with the engine's speed.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (served(outcomes, before) < 10) {
            assertTrue(System.nanoTime() < until, "no 10 requests served within 90 s of the engine's restart; "
                    + "status: " + pool.status());
            Thread.sleep(100);
        }
        loading.set(false);
        load.join(60_000);

        Map<String, Integer> counts = new TreeMap<>();
        outcomes.forEach(o -> counts.merge(o, 1, Integer::sum));
        assertTrue(outcomes.stream().allMatch(o -> o.equals("200") || o.equals("503")),
                "every request got an answer, served or 503: " + counts);
        List<String> last = new ArrayList<>(outcomes.subList(outcomes.size() - 5, outcomes.size()));
        assertEquals(List.of("200", "200", "200", "200", "200"), last, "recovered: " + counts);
        assertEquals("closed", pool.status().get("docker").asText());
        pool.awaitFunction("hello", f -> f.get("warm").asInt() == 2, Duration.ofSeconds(60));
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        assertEquals(List.of(), dockerd.containers(), "nothing left on the engine");
    }

    /** How many of the outcomes from index {@code from} on were served. */
    private static long served(List<String> outcomes, int from) {
        List<String> now = List.copyOf(outcomes);
        return now.subList(from, now.size()).stream().filter("200"::equals).count();
    }

    /** A Docker engine of the test's own, on a socket and directories under {@code dir}. */
    static final class Dockerd {
        private final Path dir;
        private final Process process;

        private Dockerd(Path dir, Process process) {
            this.dir = dir;
            this.process = process;
        }

        static Dockerd start(Path dir) throws Exception {
            Files.createDirectories(dir);
            Process p = new ProcessBuilder("dockerd", "--host", "unix://" + dir.resolve("docker.sock"),
                    "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("exec").toString(),
                    "--pidfile", dir.resolve("docker.pid").toString(), "--iptables=false", "--bridge=none")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("log").toFile()))
                    .start();
            Dockerd d = new Dockerd(dir, p);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    d.docker("info");
                    return d;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline || !p.isAlive()) {
                        throw new AssertionError("dockerd did not start: " + Files.readString(dir.resolve("log")));
                    }
                    Thread.sleep(200);
                }
            }
        }

        String host() {
            return "unix://" + dir.resolve("docker.sock");
        }

        /** Copies images from the main engine. */
        void load(String... images) throws Exception {
            List<String> save = new ArrayList<>(List.of("docker", "save"));
            save.addAll(List.of(images));
            Process s = new ProcessBuilder(save).start();
            Process l = new ProcessBuilder("docker", "-H", host(), "load", "-q").redirectErrorStream(true).start();
            s.getInputStream().transferTo(l.getOutputStream());
            l.getOutputStream().close();
            assertEquals(0, s.waitFor());
            assertEquals(0, l.waitFor(), new String(l.getInputStream().readAllBytes()));
        }

        List<String> containers() throws Exception {
            return docker("ps", "-aq");
        }

        private List<String> docker(String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of("-H", host()));
            cmd.addAll(List.of(args));
            return Docker.run(cmd.toArray(String[]::new));
        }

        /**
         * SIGTERM, as an engine restart does: its containers stop with it. Then ends what a restart of the whole
         * engine service ends too: the containerd shims of starts that were under way, which the engine leaves
         * behind with their containers half made (a new engine on the same directories hangs on them, and the
         * host would keep them).
         */
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            String mark = dir.toString() + "/";
            List<ProcessHandle> left = ProcessHandle.allProcesses().filter(ph -> ph.info().commandLine()
                    .map(c -> c.contains("containerd") && c.contains(mark)).orElse(false)).toList();
            for (ProcessHandle shim : left) {
                shim.descendants().forEach(ProcessHandle::destroyForcibly);
                shim.destroyForcibly();
            }
            for (ProcessHandle shim : left) {
                try {
                    shim.onExit().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("could not end " + shim.info().commandLine().orElse("pid " + shim.pid()), e);
                }
            }
            // Their runtime state goes too (the exec root, under /run on a host): with it, the restarted engine
            // could still hang on new starts.
            Path exec = dir.resolve("exec");
            try {
                unmountLeftovers(exec);
                if (Files.exists(exec)) {
                    try (var paths = Files.walk(exec)) {
                        for (Path f : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(f);
                        }
                    }
                }
            } catch (Exception e) {
                throw new AssertionError("could not clear the engine's runtime state in " + exec, e);
            }
        }

        /** After the engine's last stop: unmounts what it left mounted under its directories, deepest first. */
        void unmountLeftovers() throws Exception {
            unmountLeftovers(dir);
        }

        private static void unmountLeftovers(Path under) throws Exception {
            String mark = under.toString() + "/";
            List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .map(l -> l.split(" ")[4]).filter(m -> m.startsWith(mark))
                    .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
            for (String m : mounts) {
                new ProcessBuilder("umount", "-l", m).inheritIO().start().waitFor();
            }
        }
    }
}

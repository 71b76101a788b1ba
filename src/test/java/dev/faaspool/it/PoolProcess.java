package dev.faaspool.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * faas-pool run as its users run it, {@code java -jar target/faas-pool.jar}, with an instance name,
 * run directory, reports directory and admin port of the test's own. Closing it stops the process
 * and removes any container the instance left, so a failing test leaves nothing behind either.
 */
final class PoolProcess implements AutoCloseable {
    static final Path JAR = Path.of(System.getProperty("faaspool.jar", "target/faas-pool.jar"));
    private static final ObjectMapper JSON = new ObjectMapper();

    final String instance;
    final Path runRoot;
    final Path reports;
    final InetSocketAddress admin;
    private final Process process;
    private final Path outFile;
    private final Path errFile;

    private PoolProcess(String instance, Path work, InetSocketAddress admin, List<String> args) throws IOException {
        this(instance, work, admin, "127.0.0.1", java.util.Map.of(), args);
    }

    /** @param adminHost where the admin endpoint binds; the tests reach it on {@code admin}, loopback */
    private PoolProcess(String instance, Path work, InetSocketAddress admin, String adminHost,
            java.util.Map<String, String> env, List<String> args) throws IOException {
        this.instance = instance;
        this.runRoot = work.resolve("run");
        this.reports = work.resolve("reports");
        this.admin = admin;
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toAbsolutePath().toString(),
                "--instance", instance,
                "--run-dir", runRoot.toString(),
                "--reports", reports.toString(),
                "--report-interval", "1s",
                "--admin", adminHost + ":" + admin.getPort()));
        if (!args.contains("--logs")) {
            cmd.addAll(List.of("--logs", work.resolve("logs").toString())); // the functions' logs: not in the checkout
        }
        cmd.addAll(args);
        // Files, not pipes: the JDK closes a process's pipes when it exits, and a reader blocked on one
        // loses what the process wrote last (here, the shutdown summary).
        this.outFile = Files.createTempFile(work, instance, ".out");
        this.errFile = Files.createTempFile(work, instance, ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
        pb.environment().putAll(env);
        this.process = pb.start();
    }

    /** Starts faas-pool with {@code args} after the test's own options. */
    static PoolProcess start(Path work, String testName, String... args) throws IOException {
        String instance = "it-" + testName.toLowerCase(Locale.ROOT) + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        return new PoolProcess(instance, work, new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()),
                List.of(args));
    }

    /** As {@link #start}, with the admin endpoint bound to {@code adminHost} (the tests still reach it on loopback). */
    static PoolProcess startWithAdminOn(String adminHost, Path work, String testName, String... args)
            throws IOException {
        String instance = "it-" + testName.toLowerCase(Locale.ROOT) + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        return new PoolProcess(instance, work, new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()),
                adminHost, java.util.Map.of(), List.of(args));
    }

    /** As {@link #start}, with {@code env} added to the process's environment. */
    static PoolProcess startWithEnv(java.util.Map<String, String> env, Path work, String testName, String... args)
            throws IOException {
        String instance = "it-" + testName.toLowerCase(Locale.ROOT) + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        return new PoolProcess(instance, work, new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()),
                "127.0.0.1", env, List.of(args));
    }

    /** {@code java -jar target/faas-pool.jar <args>}, with the JVM the tests run on. */
    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts another faas-pool as the same instance, with the same directories, as a restart would. */
    PoolProcess again(String... args) throws IOException {
        return new PoolProcess(instance, runRoot.getParent(), admin, List.of(args));
    }

    /** Starts another faas-pool as {@code other}'s instance, with directories under {@code work}. */
    static PoolProcess sameInstance(PoolProcess other, Path work, String... args) throws IOException {
        return new PoolProcess(other.instance, work, new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()),
                List.of(args));
    }

    /**
     * A loopback port free now, below the kernel's ephemeral range: a port from that range (what binding
     * to port 0 gives) can be taken by any outgoing connection, the tests' own clients included, between
     * now and faas-pool's bind of it. A port is never handed out twice in one test JVM: two calls in a row
     * otherwise can draw the same free port, which the configuration then rejects as a duplicate listener.
     */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static int freePort() throws IOException {
        int below = 32768;
        try {
            below = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim()
                    .split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            // Linux's default range starts at 32768
        }
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 1000; i++) {
            int port = random.nextInt(10_000, Math.max(10_001, below));
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException inUse) {
                // another
            }
        }
        throw new IOException("no free loopback port below " + below);
    }

    String stdout() {
        return read(outFile);
    }

    String stderr() {
        return read(errFile);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until stdout matches {@code pattern}; returns the match. */
    Matcher awaitStdout(Pattern pattern, Duration timeout) throws InterruptedException {
        return await(outFile, pattern, timeout);
    }

    /** Waits until stderr (the log) matches {@code pattern}; returns the match. */
    Matcher awaitLog(Pattern pattern, Duration timeout) throws InterruptedException {
        return await(errFile, pattern, timeout);
    }

    private Matcher await(Path file, Pattern pattern, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher m = pattern.matcher(read(file));
            if (m.find()) {
                return m;
            }
            boolean exited = !process.isAlive(); // read before the last look: what it wrote before it exited counts
            if (exited && pattern.matcher(read(file)).find()) {
                continue;
            }
            if (exited || System.nanoTime() > deadline) {
                throw new AssertionError("no match for /" + pattern + "/ " + (exited ? "before it exited" : "within "
                        + timeout) + "; alive=" + process.isAlive() + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
            }
            Thread.sleep(20);
        }
    }

    /** The admin endpoint's {@code /status}. */
    JsonNode status() throws IOException {
        HttpProbe.Response r = HttpProbe.get(admin, "/status", 5_000);
        if (r.status() != 200) {
            throw new IOException("/status answered " + r.status());
        }
        return JSON.readTree(r.body());
    }

    /** The status of function {@code name}. */
    JsonNode function(String name) throws IOException {
        for (JsonNode f : status().get("functions")) {
            if (f.get("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no function " + name + " in " + status());
    }

    /** Polls {@code /status} of function {@code name} until {@code condition} holds. */
    JsonNode awaitFunction(String name, Predicate<JsonNode> condition, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode f;
        while (!condition.test(f = function(name))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("function " + name + " did not reach the expected state within "
                        + timeout + "; last status: " + f);
            }
            Thread.sleep(50);
        }
        return f;
    }

    /** Sends SIGTERM and waits for the exit; returns the exit code. */
    int stop(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("faas-pool did not stop within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    /** Sends SIGTERM and returns at once. */
    void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit by itself; returns the exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("faas-pool did not exit within " + timeout);
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown, as after a crash. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    long pid() {
        return process.pid();
    }

    /** The run's latency summary file. */
    Path summaryFile() throws IOException {
        try (var s = Files.list(reports)) {
            return s.filter(p -> p.toString().endsWith(".summary.txt")).findFirst()
                    .orElseThrow(() -> new AssertionError("no summary in " + reports));
        }
    }

    /** Stops the process if it runs, removes what its instance left, and shows its output in the test log. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        System.out.print(stdout().lines().map(l -> "[" + instance + " out] " + l + "\n").reduce("", String::concat));
        System.out.print(stderr().lines().map(l -> "[" + instance + " err] " + l + "\n").reduce("", String::concat));
        Docker.removeAll(instance);
    }
}

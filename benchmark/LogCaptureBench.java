// How much each way of keeping a container's output costs the container churn of a oneshot pool.
//
//   java -cp target/faas-pool.jar benchmark/LogCaptureBench.java [containers-per-round] [rounds] [concurrency] [image]
//
// Each container lives as a oneshot one does: create, start, it writes 20 lines to stdout and 20 to stderr
// and exits, remove. Three ways, in alternating rounds so that the machine's load drifts over all of them:
//   none    the lifecycle alone (no capture)
//   follow  a follow log stream opened right after the start, read to its end before the removal
//           (what faas-pool does: DockerLogStreams)
//   read    one logs request after the container stopped, before the removal
// Prints containers/s per way (median over the rounds) and checks that the captured ways got every line.
// Containers are labelled fnlogs-bench=<pid> and named bench-fnlogs-*; all are removed at the end.

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

public class LogCaptureBench {
    /** The python image's interpreter writes 40 lines; any other image runs as it is (faas-hello's init, without
     *  a control socket, writes one line and exits at once: the lifecycle's cost with the least of the handler). */
    static String IMAGE = "faas-runtime:python";
    static final String LABEL = "fnlogs-bench";
    static final String PID = Long.toString(ProcessHandle.current().pid());

    static DockerClient client(int max) {
        String h = System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(h).build();
        return DockerClientImpl.getInstance(config, new ZerodepDockerHttpClient.Builder().dockerHost(URI.create(h))
                .maxConnections(max).connectionTimeout(Duration.ofSeconds(5)).build());
    }

    public static void main(String[] args) throws Exception {
        int perRound = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        IMAGE = args.length > 3 ? args[3] : IMAGE;
        boolean python = IMAGE.equals("faas-runtime:python");
        DockerClient docker = client(128);
        DockerClient streams = client(Integer.MAX_VALUE);
        Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
        Map<String, List<Double>> engineCpu = new java.util.LinkedHashMap<>();
        Map<String, List<Double>> selfCpu = new java.util.LinkedHashMap<>();
        AtomicInteger seq = new AtomicInteger();
        try {
            for (int r = 0; r < rounds; r++) {
                for (String way : List.of("none", "follow", "read")) {
                    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
                    AtomicInteger lines = new AtomicInteger();
                    long t0 = System.nanoTime();
                    long engine0 = engineCpuNanos();
                    long self0 = selfCpuNanos();
                    List<Future<?>> done = new ArrayList<>();
                    for (int i = 0; i < perRound; i++) {
                        done.add(pool.submit(() -> {
                            one(docker, streams, way, "bench-fnlogs-" + PID + "-" + seq.incrementAndGet(), lines);
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    double engineMs = (engineCpuNanos() - engine0) / 1e6 / perRound;
                    double selfMs = (selfCpuNanos() - self0) / 1e6 / perRound;
                    pool.shutdown();
                    rates.computeIfAbsent(way, k -> new ArrayList<>()).add(perRound / secs);
                    engineCpu.computeIfAbsent(way, k -> new ArrayList<>()).add(engineMs);
                    selfCpu.computeIfAbsent(way, k -> new ArrayList<>()).add(selfMs);
                    int expected = way.equals("none") ? 0 : perRound * (python ? 40 : 1);
                    System.err.printf("round %d %-6s %6.1f containers/s  dockerd %.2f ms CPU/container  client %.2f ms"
                            + "  lines %d/%d%n", r + 1, way, perRound / secs, engineMs, selfMs, lines.get(), expected);
                }
            }
        } finally {
            for (var c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL, PID)).exec()) {
                docker.removeContainerCmd(c.getId()).withForce(true).exec();
            }
        }
        System.out.printf("%d containers per round, %d rounds, %d at once, %s%n", perRound, rounds, concurrency, IMAGE);
        rates.forEach((way, list) -> System.out.printf(
                "%-6s median %5.1f containers/s, dockerd %.2f ms CPU/container, client %.2f ms (rates by round: %s)%n",
                way, median(list), median(engineCpu.get(way)), median(selfCpu.get(way)),
                list.stream().map(d -> String.format("%.1f", d)).toList()));
    }

    static double median(List<Double> l) {
        return l.stream().sorted().toList().get(l.size() / 2);
    }

    /** dockerd's user+system CPU time so far (all of the engine's work, not only this program's). */
    static long engineCpuNanos() {
        try {
            String pid = new String(new ProcessBuilder("pidof", "dockerd").start().getInputStream().readAllBytes()).trim()
                    .split("\\s+")[0];
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // clock ticks of 10 ms
        } catch (Exception e) {
            return 0;
        }
    }

    static long selfCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static void one(DockerClient docker, DockerClient streams, String way, String name, AtomicInteger lines)
            throws Exception {
        HostConfig host = HostConfig.newHostConfig().withNetworkMode("none").withMemory(64L << 20)
                .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE, Map.of("max-size", "2m", "max-file", "2")));
        var create = docker.createContainerCmd(IMAGE).withName(name).withLabels(Map.of(LABEL, PID)).withHostConfig(host);
        if (IMAGE.equals("faas-runtime:python")) {
            create.withEntrypoint("python3", "-c",
                    "import sys\nfor i in range(20):\n print('line', i)\n print('err', i, file=sys.stderr)");
        }
        String id = create.exec().getId();
        ResultCallback.Adapter<Frame> follow = null;
        try {
            docker.startContainerCmd(id).exec();
            if (way.equals("follow")) {
                follow = streams.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true)
                        .withTimestamps(true).exec(counter(lines));
            }
            docker.waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS);
            if (follow != null) {
                follow.awaitCompletion(2, TimeUnit.SECONDS);
            }
            if (way.equals("read")) {
                docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withTimestamps(true)
                        .exec(counter(lines)).awaitCompletion(5, TimeUnit.SECONDS);
            }
        } finally {
            if (follow != null) {
                follow.close();
            }
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    static ResultCallback.Adapter<Frame> counter(AtomicInteger lines) {
        return new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame f) {
                for (byte b : f.getPayload()) {
                    if (b == '\n') {
                        lines.incrementAndGet();
                    }
                }
            }
        };
    }
}

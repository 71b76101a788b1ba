package dev.faaspool.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Ulimit;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ObjLongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ContainerRuntime} on a Docker Engine, through docker-java's Unix-socket transport. */
public final class DockerRuntime implements ContainerRuntime {
    private static final Logger log = LoggerFactory.getLogger(DockerRuntime.class);
    private static final int LOG_LINES = 10;
    /** The engine's log file of a container, at most (twice, rotated): the stream reads it as it is written. */
    private static final String ENGINE_LOG_SIZE = "2m";

    private final DockerClient docker;
    private final String host;
    /** Follows each started container's output, once {@link #captureOutput} was called. */
    private volatile DockerLogStreams logs;
    /** Function and slot of each container created and not yet started or removed, while output is captured. */
    private final Map<String, String[]> sources = new java.util.concurrent.ConcurrentHashMap<>();

    /** Whether the engine manages control groups as directories (its cgroupfs driver): then each function gets its own. */
    private final boolean cgroupfs;

    private DockerRuntime(DockerClient docker, String host, boolean cgroupfs) {
        this.docker = docker;
        this.host = host;
        this.cgroupfs = cgroupfs;
    }

    /**
     * Connects to the engine at {@code host} ({@code unix:///var/run/docker.sock} when null) and checks
     * that it answers.
     *
     * @throws ContainerRuntimeException naming the host when nothing answers
     */
    public static DockerRuntime connect(String host) {
        String h = host != null ? host : System.getenv().getOrDefault("DOCKER_HOST", "unix:///var/run/docker.sock");
        DockerClient client = client(h, 128, Duration.ofSeconds(60));
        try {
            client.pingCmd().exec();
        } catch (RuntimeException e) {
            closeQuietly(client);
            throw new ContainerRuntimeException("no Docker engine answers at " + h + ": " + e.getMessage(), e);
        }
        String driver;
        try {
            driver = client.infoCmd().exec().getCGroupDriver();
        } catch (RuntimeException e) {
            driver = null;
        }
        if (!"cgroupfs".equals(driver)) {
            // systemd's driver wants slices; without a group per function, containers weigh one each.
            log.warn("the Docker engine's cgroup driver is {}: functions share the CPU per container, not per"
                    + " function", driver);
        }
        return new DockerRuntime(client, h, "cgroupfs".equals(driver));
    }

    /** A client of the engine at {@code h}; {@code responseTimeout} null: none (for streams that stay quiet). */
    private static DockerClient client(String h, int maxConnections, Duration responseTimeout) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(h).build();
        var http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(URI.create(h))
                .sslConfig(config.getSSLConfig())
                .maxConnections(maxConnections)
                .connectionTimeout(Duration.ofSeconds(5));
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        return DockerClientImpl.getInstance(config, http.build());
    }

    /**
     * From now on, the output of every container this runtime starts goes to {@code output}, from its start
     * to its end (its removal waits for that, bounded; see {@link DockerLogStreams}). The streams have a client,
     * and connections, of their own: one per running container.
     */
    public void captureOutput(ContainerOutput output) {
        logs = new DockerLogStreams(client(host, Integer.MAX_VALUE, null), output);
    }

    @Override
    public String create(ContainerSpec spec) {
        Map<String, String> tmpfs = new HashMap<>();
        if (spec.tmpBytes() > 0) {
            tmpfs.put("/tmp", "rw,nosuid,nodev,size=" + spec.tmpBytes());
        }
        List<String> security = new ArrayList<>(List.of("no-new-privileges"));
        if (spec.seccomp() != null) {
            security.add("seccomp=" + spec.seccomp());
        }
        HostConfig host = HostConfig.newHostConfig()
                // none unless the function names a network: its one way out (Bounds.networkProblem refuses host)
                .withNetworkMode(spec.network())
                .withReadonlyRootfs(true)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(security)
                .withMemory(spec.memoryBytes())
                .withMemorySwap(spec.memoryBytes())
                .withPidsLimit(spec.pids())
                .withNanoCPUs(spec.nanoCpus())
                .withUlimits(List.of(new Ulimit("nofile", spec.nofile(), spec.nofile())))
                .withRuntime(spec.runtime())
                .withTmpFs(tmpfs)
                // What the container writes goes through the engine's file of it: bounded, whatever it writes
                // (the engine's default has no bound), and readable by the log stream (DockerLogStreams).
                .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE,
                        Map.of("max-size", ENGINE_LOG_SIZE, "max-file", "2")))
                // Read-only: the container can connect to its socket, and create nothing on the host.
                .withBinds(new Bind(spec.controlDir().toString(), new Volume(spec.controlMount()), AccessMode.ro));
        if (spec.shmBytes() > 0) {
            host.withShmSize(spec.shmBytes());
        } else {
            host.withIpcMode("none"); // no /dev/shm at all
        }
        if (cgroupfs) {
            host.withCgroupParent(spec.cgroupParent());
        }
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        var cmd = docker.createContainerCmd(spec.image())
                .withName(spec.name())
                .withUser(spec.user())
                .withEnv(env)
                .withLabels(spec.labels())
                .withNetworkDisabled(spec.network().equals("none"))
                .withHostConfig(host);
        if (!spec.command().isEmpty()) {
            cmd.withCmd(spec.command());
        }
        String id = call("create container " + spec.name() + " from " + spec.image(), () -> cmd.exec().getId());
        if (logs != null) {
            sources.put(id, new String[] {spec.labels().getOrDefault(Labels.FUNCTION, "?"),
                    spec.labels().getOrDefault(Labels.SLOT, spec.name())});
        }
        return id;
    }

    @Override
    public void start(String id) {
        call("start container " + shortId(id), () -> docker.startContainerCmd(id).exec());
        String[] source = sources.remove(id);
        DockerLogStreams l = logs;
        if (l != null && source != null) {
            l.follow(id, source[0], source[1]); // returns at once: the stream has a thread of its own
        }
    }

    @Override
    public void remove(String id) {
        sources.remove(id);
        DockerLogStreams l = logs;
        if (l != null) {
            l.finish(id, () -> kill(id));
        }
        try {
            docker.removeContainerCmd(id).withForce(true).exec();
        } catch (NotFoundException gone) {
            // Already removed: what the caller wanted.
        } catch (RuntimeException e) {
            throw new ContainerRuntimeException("remove container " + shortId(id) + ": " + e.getMessage(), e);
        }
    }

    /** Kills a running container (SIGKILL) and returns once it stopped; one that does not run is left as it is. */
    private void kill(String id) {
        try {
            docker.killContainerCmd(id).exec();
        } catch (NotFoundException | ConflictException notRunning) {
            // Stopped or gone already: its output has ended.
        }
    }

    @Override
    public ContainerExit inspectExit(String id) {
        InspectContainerResponse.ContainerState state =
                call("inspect container " + shortId(id), () -> docker.inspectContainerCmd(id).exec().getState());
        boolean running = Boolean.TRUE.equals(state.getRunning());
        long code = running || state.getExitCodeLong() == null ? -1 : state.getExitCodeLong();
        return new ContainerExit(code, Boolean.TRUE.equals(state.getOOMKilled()), lastLogs(id));
    }

    private List<String> lastLogs(String id) {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (var cb = docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(LOG_LINES)
                .exec(new ResultCallback.Adapter<Frame>() {
                    @Override
                    public void onNext(Frame frame) {
                        for (String l : new String(frame.getPayload(), StandardCharsets.UTF_8).split("\n")) {
                            if (!l.isBlank()) {
                                lines.add(l.strip());
                            }
                        }
                    }
                })) {
            cb.awaitCompletion(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            lines.add("(logs unavailable: " + e.getMessage() + ")");
        }
        return List.copyOf(lines);
    }

    @Override
    public List<String> findByLabel(String key, String value) {
        return ids(list("list containers labelled " + key + "=" + value, key, value, List.of()));
    }

    @Override
    public List<String> findExitedByLabel(String key, String value) {
        return ids(list("list exited containers labelled " + key + "=" + value, key, value, List.of("exited", "dead")));
    }

    @Override
    public List<String> findNeverStartedByLabel(String key, String value, Duration age) {
        long before = System.currentTimeMillis() / 1000 - age.toSeconds(); // the engine counts in seconds
        return ids(list("list created containers labelled " + key + "=" + value, key, value, List.of("created"))
                .stream().filter(c -> c.getCreated() != null && c.getCreated() < before).toList());
    }

    /** Containers, running or not, whose label {@code key} has {@code value}, in one of {@code statuses} (any when empty). */
    private List<Container> list(String what, String key, String value, List<String> statuses) {
        return call(what, () -> {
            var cmd = docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(key, value));
            return statuses.isEmpty() ? cmd.exec() : cmd.withStatusFilter(statuses).exec();
        });
    }

    private static List<String> ids(List<Container> containers) {
        return containers.stream().map(Container::getId).toList();
    }

    @Override
    public AutoCloseable watchExits(String key, String value, ObjLongConsumer<String> onExit) {
        ExitWatch watch = new ExitWatch(key, value, onExit);
        Thread t = new Thread(watch::run, "docker-events");
        t.setDaemon(true);
        t.start();
        return watch;
    }

    @Override
    public boolean imageExists(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public boolean networkExists(String name) {
        if (name.equals("none")) {
            return true;
        }
        try {
            docker.inspectNetworkCmd().withNetworkId(name).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public ImageInfo inspectImage(String image) {
        InspectImageResponse r;
        try {
            r = docker.inspectImageCmd(image).exec();
        } catch (NotFoundException e) {
            return null;
        } catch (RuntimeException e) {
            throw new ContainerRuntimeException("inspect image " + image + ": " + e.getMessage(), e);
        }
        var config = r.getConfig();
        String[] entrypoint = config == null ? null : config.getEntrypoint();
        Long size = r.getSize();
        return new ImageInfo(r.getId(), entrypoint == null ? List.of() : List.of(entrypoint),
                config == null ? "" : config.getUser(), size == null ? 0 : size);
    }

    @Override
    public void close() {
        closeQuietly(logs);
        closeQuietly(docker);
    }

    /** Follows the engine's {@code die} events; re-subscribes, from the last event seen, when the stream ends. */
    private final class ExitWatch implements AutoCloseable {
        private final String key;
        private final String value;
        private final ObjLongConsumer<String> onExit;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicReference<Closeable> current = new AtomicReference<>();
        private volatile long sinceSeconds = System.currentTimeMillis() / 1000;

        ExitWatch(String key, String value, ObjLongConsumer<String> onExit) {
            this.key = key;
            this.value = value;
            this.onExit = onExit;
        }

        void run() {
            long backoffMs = 100;
            while (!closed.get()) {
                try (var cb = docker.eventsCmd()
                        .withEventTypeFilter(EventType.CONTAINER)
                        .withEventFilter("die")
                        .withLabelFilter(Map.of(key, value))
                        .withSince(Long.toString(sinceSeconds))
                        .exec(new ResultCallback.Adapter<Event>() {
                            @Override
                            public void onNext(Event e) {
                                if (e.getTime() != null) {
                                    sinceSeconds = e.getTime();
                                }
                                onExit.accept(e.getId(), exitCode(e));
                            }
                        })) {
                    current.set(cb);
                    if (closed.get()) {
                        break;
                    }
                    cb.awaitCompletion();
                    backoffMs = 100;
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    if (!closed.get()) {
                        log.warn("Docker event stream failed ({}); re-subscribing in {} ms", e.getMessage(), backoffMs);
                    }
                }
                if (closed.get()) {
                    return;
                }
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException e) {
                    return;
                }
                backoffMs = Math.min(5_000, backoffMs * 2);
            }
        }

        @Override
        public void close() {
            closed.set(true);
            closeQuietly(current.get());
        }
    }

    /** The {@code exitCode} attribute of a {@code die} event; -1 when it is missing or not a number. */
    static long exitCode(Event e) {
        try {
            String code = e.getActor() == null || e.getActor().getAttributes() == null ? null
                    : e.getActor().getAttributes().get("exitCode");
            return code == null ? -1 : Long.parseLong(code.trim());
        } catch (NumberFormatException ex) {
            return -1;
        }
    }

    private static <T> T call(String what, java.util.concurrent.Callable<T> c) {
        try {
            return c.call();
        } catch (Exception e) {
            throw new ContainerRuntimeException(what + ": " + e.getMessage(), e);
        }
    }

    private static void call(String what, Runnable r) {
        call(what, () -> {
            r.run();
            return null;
        });
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // Closing on the way out; nothing to do about a failure.
        }
    }
}

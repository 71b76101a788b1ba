package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * faas-pool's own image ({@code faas-pool:latest}, deploy/image/build.sh; bin/test builds it) run as
 * deploy/image/README.md's {@code docker run} line has it (read-only root, CAP_CHOWN only), through Testcontainers: the host's Docker socket and the
 * run directory mounted at the same path, the host's network, ready once {@code /readyz} says so;
 * requests answered by the built-in function; then {@code docker stop} (SIGTERM), after which neither
 * the pool's container nor any of its function containers is left.
 */
class PoolImageIT {
    static final String IMAGE = System.getProperty("faaspool.image", "faas-pool:latest");
    private static final String DOCKER_SOCKET = "/var/run/docker.sock";
    /** The label Testcontainers' own container carries: not faas-pool's, whose sweep would remove it. */
    private static final String POOL_LABEL = "dev.faaspool.it.pool-image";

    @TempDir
    Path work;
    private final String instance = "it-image-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
    private HostNetworkContainer pool;

    @AfterEach
    void cleanUp() {
        if (pool != null) {
            pool.stop(); // kills and removes it; a no-op when the test stopped it already
        }
        Docker.removeAll(instance);
        removeByLabel(POOL_LABEL + "=" + instance);
    }

    @Test
    void theImageServesTheBuiltInFunctionAndLeavesNothingWhenStopped() throws Exception {
        int port = PoolProcess.freePort();
        int admin = PoolProcess.freePort();
        // Same path on both sides: the host's engine bind-mounts the slots' directories into the function
        // containers by the path faas-pool names, which must therefore be a host path too.
        String runDir = work.resolve("run").toString();
        pool = new HostNetworkContainer(IMAGE)
                .withLabel(POOL_LABEL, instance)
                .withFileSystemBind(DOCKER_SOCKET, DOCKER_SOCKET, BindMode.READ_WRITE)
                .withFileSystemBind(runDir, runDir, BindMode.READ_WRITE)
                .withFileSystemBind("/run/lock/faas-pool", "/run/lock/faas-pool", BindMode.READ_WRITE)
                .withFileSystemBind("/sys/fs/cgroup", "/sys/fs/cgroup", BindMode.READ_WRITE)
                // As deploy/image/README.md runs it: a read-only root, root with CAP_CHOWN alone (to give
                // each control socket to its container's user), no new privileges.
                .withTmpFs(Map.of("/tmp", "rw,noexec,nosuid,size=64m", "/var/lib/faas-pool", "rw,noexec,nosuid,size=64m"))
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withReadonlyRootfs(true)
                        .withCapDrop(Capability.ALL)
                        .withCapAdd(Capability.CHOWN)
                        .withSecurityOpts(List.of("no-new-privileges")))
                .withCommand("--instance", instance, "--run-dir", runDir, "--pool-size", "2",
                        "--listen", "127.0.0.1:" + port, "--admin", "127.0.0.1:" + admin)
                .waitingFor(Wait.forHttp("/readyz").forPort(admin).forStatusCode(200)
                        .withStartupTimeout(Duration.ofSeconds(60)));
        pool.start();

        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        for (int i = 0; i < 10; i++) {
            HttpProbe.Response r = HttpProbe.get(address, "/", 10_000);
            assertEquals(200, r.status(), () -> "request through the image: " + r + "\n" + pool.getLogs());
            assertTrue(r.body().contains("Hello from faas-pool!"), r::body);
        }
        assertTrue(!Docker.containersOf(instance).isEmpty(), "its function containers run on the host's engine");
        // The jlink'd runtime has what the admin endpoint's JVM and process metrics need (java.management).
        HttpProbe.Response metrics = HttpProbe.get(new InetSocketAddress(InetAddress.getLoopbackAddress(), admin),
                "/metrics", 10_000);
        assertEquals(200, metrics.status());
        assertTrue(metrics.body().contains("jvm_memory_used_bytes") && metrics.body().contains("process_open_fds"),
                () -> "JVM and process metrics from the image's runtime:\n" + metrics.body());

        // docker stop: SIGTERM, then the drain; Testcontainers' own stop() would SIGKILL it.
        DockerClient docker = pool.getDockerClient();
        String id = pool.getContainerId();
        docker.stopContainerCmd(id).withTimeout(30).exec();
        InspectContainerResponse.ContainerState state = docker.inspectContainerCmd(id).exec().getState();
        assertEquals(0L, state.getExitCodeLong(), () -> "faas-pool's exit code after SIGTERM\n" + pool.getLogs());
        assertEquals(List.of(), Docker.containersOf(instance), "function containers left after docker stop");
        String logs = pool.getLogs();
        assertEquals(10, summaryCount(logs, "warm") + summaryCount(logs, "cold"),
                () -> "the shutdown summary counts every request (warm or cold):\n" + logs);

        pool.stop();
        pool = null;
        assertEquals(List.of(), Docker.run("ps", "-aq", "--filter", "label=" + POOL_LABEL + "=" + instance),
                "the pool's own container is removed");
    }

    /** The count column of the summary line {@code hello <kind> <count> ...} faas-pool prints as it exits. */
    private static int summaryCount(String logs, String kind) {
        Matcher m = Pattern.compile("(?m)^hello\\s+" + kind + "\\s+(\\d+)\\s").matcher(logs);
        return m.find() ? Integer.parseInt(m.group(1)) : -1_000;
    }

    private static void removeByLabel(String label) {
        try {
            List<String> ids = Docker.run("ps", "-aq", "--filter", "label=" + label);
            for (String id : ids) {
                Docker.run("rm", "-f", id);
            }
        } catch (Exception e) {
            System.err.println("clean-up of " + label.toLowerCase(Locale.ROOT) + " failed: " + e);
        }
    }
}

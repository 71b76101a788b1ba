package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/swarm/stack.yml, the file users deploy, on this machine's engine made a single-node swarm:
 * {@code docker stack deploy} starts faas-pool (the image bin/test builds) as the stack's global
 * service, it serves the built-in function on the host's network, and {@code docker stack rm} stops it
 * with SIGTERM, on which it drains and removes its function containers. The engine leaves the swarm
 * afterwards, whatever happened.
 */
class SwarmIT {
    private static final Path STACK = Path.of("deploy/swarm/stack.yml");

    @TempDir
    Path work;

    @Test
    void theStackFileServesAndLeavesNothingWhenRemoved() throws Exception {
        Assumptions.assumeTrue(SwarmNode.state().equals("inactive"),
                "the engine is in a swarm already (not this test's): SwarmIT leaves it alone");
        String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff));
        String instance = "it-swarm-" + id;
        String stack = "it-swarm-" + id;
        int port = PoolProcess.freePort();
        int admin = PoolProcess.freePort();
        Path runDir = Files.createDirectories(work.resolve("run")); // a swarm bind mount of a missing path fails
        try (SwarmNode swarm = SwarmNode.join()) {
            try {
                swarm.deploy(STACK, stack, Map.of(
                        "FAAS_POOL_IMAGE", PoolImageIT.IMAGE,
                        "FAAS_POOL_INSTANCE", instance,
                        "FAAS_POOL_RUN_DIR", runDir.toString(),
                        "FAAS_POOL_LISTEN", "127.0.0.1:" + port,
                        "FAAS_POOL_ADMIN_PORT", Integer.toString(admin),
                        "FAAS_POOL_SIZE", "2"));
                InetSocketAddress adminAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), admin);
                awaitReady(adminAddress, stack, 90);

                InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
                for (int i = 0; i < 5; i++) {
                    HttpProbe.Response r = HttpProbe.get(address, "/", 10_000);
                    assertEquals(200, r.status(), r::toString);
                    assertTrue(r.body().contains("Hello from faas-pool!"), r::body);
                }
                assertTrue(!Docker.containersOf(instance).isEmpty(), "its function containers run on the node's engine");
                // What the stack file asks beyond the defaults reaches the task: docker stack deploy
                // drops options it does not support with no more than a warning.
                List<String> tasks = SwarmNode.taskContainers(stack);
                assertEquals(1, tasks.size(), tasks::toString);
                assertEquals(List.of("true [\"CAP_CHOWN\"] [\"ALL\"] host"), Docker.run("inspect", "--format",
                        "{{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} "
                                + "{{.HostConfig.NetworkMode}}", tasks.getFirst()));

                swarm.remove(stack);
                // stop_grace_period is 30 s; faas-pool drains (--drain-timeout 10s) and removes its containers.
                awaitGone(instance, stack, 45);
                assertEquals(List.of(), leftovers(instance, stack), "containers left 45 s after docker stack rm");
            } finally {
                try {
                    swarm.remove(stack);
                } catch (IOException alreadyRemoved) {
                    // the test removed it
                }
                awaitGone(instance, stack, 45);
                Docker.removeAll(instance);
                for (String c : SwarmNode.taskContainers(stack)) {
                    Docker.run("rm", "-f", c);
                }
            }
        }
        assertEquals("inactive", SwarmNode.state(), "the engine left the swarm");
    }

    private static void awaitReady(InetSocketAddress admin, String stack, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpProbe.Response r = HttpProbe.get(admin, "/readyz", 2_000);
                if (r.status() == 200) {
                    return;
                }
                last = r.toString();
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the stack's faas-pool was not ready within " + seconds + " s (" + last + "); tasks:\n"
                + String.join("\n", Docker.run("service", "ps", "--no-trunc", stack + "_faas-pool")));
    }

    private static boolean awaitGone(String instance, String stack, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!leftovers(instance, stack).isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(250);
        }
        return true;
    }

    private static List<String> leftovers(String instance, String stack) throws IOException, InterruptedException {
        return java.util.stream.Stream.concat(Docker.containersOf(instance).stream(),
                SwarmNode.taskContainers(stack).stream()).toList();
    }
}

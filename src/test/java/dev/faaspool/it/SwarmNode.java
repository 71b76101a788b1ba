package dev.faaspool.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * This machine's engine as a single-node swarm, for one test: {@link #join} makes it a manager,
 * {@link #close} leaves the swarm again and removes the {@code docker_gwbridge} network that joining
 * created. The engine is shared with every other test, so it never stays in swarm mode, and a swarm
 * this class did not make is never touched: {@link #join} refuses an engine that is already in one.
 */
final class SwarmNode implements AutoCloseable {
    private static final String GWBRIDGE = "docker_gwbridge";
    private final boolean gwbridgeWasThere;

    private SwarmNode(boolean gwbridgeWasThere) {
        this.gwbridgeWasThere = gwbridgeWasThere;
    }

    /** The engine's swarm state: {@code inactive}, {@code active}, {@code pending}, {@code error} or {@code locked}. */
    static String state() throws IOException, InterruptedException {
        return Docker.run("info", "--format", "{{.Swarm.LocalNodeState}}").getFirst().trim();
    }

    /**
     * {@code docker swarm init --advertise-addr 127.0.0.1}.
     *
     * @throws IllegalStateException when the engine is in a swarm already (someone else's: left alone)
     */
    static SwarmNode join() throws IOException, InterruptedException {
        String state = state();
        if (!state.equals("inactive")) {
            throw new IllegalStateException("the engine's swarm state is " + state + ", not inactive: not ours to use");
        }
        boolean gwbridge = !Docker.run("network", "ls", "-q", "--filter", "name=^" + GWBRIDGE + "$").isEmpty();
        Docker.run("swarm", "init", "--advertise-addr", "127.0.0.1");
        return new SwarmNode(gwbridge);
    }

    /** {@code docker stack deploy -c <file> <name>}, the file's ${...} set from {@code env}. */
    void deploy(Path stackFile, String name, Map<String, String> env) throws IOException, InterruptedException {
        cli(env, "stack", "deploy", "--compose-file", stackFile.toString(), name);
    }

    /** {@code docker stack rm <name>}: Swarm stops its tasks with their stop signal and grace period. */
    void remove(String name) throws IOException, InterruptedException {
        cli(Map.of(), "stack", "rm", name);
    }

    /** Ids of the containers of stack {@code name}'s tasks, running or not. */
    static List<String> taskContainers(String name) throws IOException, InterruptedException {
        return Docker.run("ps", "-aq", "--filter", "label=com.docker.stack.namespace=" + name);
    }

    /** Leaves the swarm (forced: a single manager cannot leave otherwise) and removes what joining made. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            Docker.run("swarm", "leave", "--force");
        } finally {
            if (!gwbridgeWasThere) {
                try {
                    Docker.run("network", "rm", GWBRIDGE);
                } catch (IOException gone) {
                    // not created (no task used it) or removed already
                }
            }
        }
    }

    private static void cli(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}

package dev.faaspool.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The docker CLI, as an operator would use it, for what tests check and do to containers. */
final class Docker {
    static final String INSTANCE_LABEL = "dev.faaspool.instance";

    private Docker() {}

    static List<String> run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    /** Ids of every container of {@code instance}, running or not. */
    static List<String> containersOf(String instance) throws IOException, InterruptedException {
        return run("ps", "-aq", "--no-trunc", "--filter", "label=" + INSTANCE_LABEL + "=" + instance);
    }

    /** Ids of the running containers of {@code instance}. */
    static List<String> runningOf(String instance) throws IOException, InterruptedException {
        return run("ps", "-q", "--no-trunc", "--filter", "label=" + INSTANCE_LABEL + "=" + instance);
    }

    /** Waits until container {@code id} of {@code instance} no longer runs; false if it still does after {@code seconds}. */
    static boolean awaitStopped(String instance, String id, int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (runningOf(instance).contains(id)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** Removes whatever {@code instance} left; for test clean-up, after the assertions. */
    static void removeAll(String instance) {
        try {
            List<String> ids = containersOf(instance);
            if (!ids.isEmpty()) {
                List<String> args = new ArrayList<>(List.of("rm", "-f"));
                args.addAll(ids);
                run(args.toArray(String[]::new));
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("clean-up of instance " + instance + " failed: " + e);
        }
    }
}

package dev.faaspool.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One function container to create, locked down: no network, a read-only root, no capabilities,
 * no privilege gain, bounded memory and pids. Its only window to the host is {@code controlDir},
 * mounted read-only at {@code controlMount}: the container reaches its control socket there and can
 * create nothing.
 *
 * @param command empty keeps the image's CMD
 * @param user    {@code uid[:gid]}
 */
public record ContainerSpec(
        String name,
        String image,
        List<String> command,
        Map<String, String> env,
        Map<String, String> labels,
        Path controlDir,
        String controlMount,
        long memoryBytes,
        long pids,
        long tmpBytes,
        String user) {

    public ContainerSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(image, "image");
        command = List.copyOf(command);
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
        Objects.requireNonNull(controlDir, "controlDir");
        Objects.requireNonNull(controlMount, "controlMount");
        Objects.requireNonNull(user, "user");
    }
}

package dev.faaspool.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One function container to create, locked down: no network (or the one network its function names), a read-only root, no capabilities,
 * no privilege gain, bounded memory and pids. Its only window to the host is {@code controlDir},
 * mounted read-only at {@code controlMount}: the container reaches its control socket there and can
 * create nothing.
 *
 * @param command empty keeps the image's CMD
 * @param user    {@code uid[:gid]}
 * @param nanoCpus     CPU quota (Docker's {@code NanoCpus})
 * @param shmBytes     size of {@code /dev/shm}; 0: none
 * @param nofile       {@code RLIMIT_NOFILE}, soft and hard
 * @param seccomp      the seccomp profile as JSON, {@code "unconfined"}, or null for the engine's default
 * @param runtime      the engine's OCI runtime
 * @param cgroupParent the control group to create the container under (see {@link CgroupParent})
 * @param network      {@code none}, or the name of the Docker network the container joins
 * @param env          the handler's environment; it may hold secrets (a function's env-file), so
 *                     {@link #toString()} names the variables only
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
        String user,
        long nanoCpus,
        long shmBytes,
        long nofile,
        String seccomp,
        String runtime,
        String cgroupParent,
        String network) {

    public ContainerSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(image, "image");
        command = List.copyOf(command);
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
        Objects.requireNonNull(controlDir, "controlDir");
        Objects.requireNonNull(controlMount, "controlMount");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(cgroupParent, "cgroupParent");
        Objects.requireNonNull(network, "network");
    }

    /** Every component but the environment's values, which may be secrets. */
    @Override
    public String toString() {
        return "ContainerSpec[name=" + name + ", image=" + image + ", command=" + command + ", env="
                + new java.util.TreeSet<>(env.keySet()) + " (values redacted), labels=" + labels + ", controlDir="
                + controlDir + ", controlMount=" + controlMount + ", memoryBytes=" + memoryBytes + ", pids=" + pids
                + ", tmpBytes=" + tmpBytes + ", user=" + user + ", nanoCpus=" + nanoCpus + ", shmBytes=" + shmBytes
                + ", nofile=" + nofile + ", seccomp=" + (seccomp == null ? null : seccomp.length() + " chars")
                + ", runtime=" + runtime + ", cgroupParent=" + cgroupParent + ", network=" + network + "]";
    }
}

package dev.faaspool.config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The range of every configuration value: within what the code that uses it can hold, narrowed to what is
 * sane for a pool on one host. faas-pool runs as root and reads its configuration like any other input, so
 * a value out of range must fail at load time, where it was written, not later where the pool computes
 * with it (a {@code timeouts.acquire} of {@code 99999999999h} overflows {@code System.nanoTime()}
 * arithmetic; a {@code limits.memory} of {@code 8589934591g} overflows the host memory budget's sum).
 *
 * <p>{@link ConfigLoader} reports a value out of these bounds with its file, line and field; the records
 * ({@link FunctionSpec}, {@link FunctionSpec.PoolSize}, {@link FunctionSpec.Limits},
 * {@link FunctionSpec.Timeouts}, {@link Schedule}, {@link PoolConfig.Host}) reject it too, so that a spec
 * built in code cannot bypass them. The command line's bounds are here as well, beside the ones they
 * share a reason with.
 *
 * <table>
 *   <caption>Bounds of the configuration</caption>
 *   <tr><th>field</th><th>range</th></tr>
 *   <tr><td>timeouts.acquire, timeouts.start</td><td>{@code > 0}, {@code <= 10m}</td></tr>
 *   <tr><td>timeouts.request</td><td>{@code > 0}, {@code <= 24h}</td></tr>
 *   <tr><td>pool.idle-ttl</td><td>{@code > 0}, {@code <= 30d}</td></tr>
 *   <tr><td>pool.max</td><td>{@code 1..10000}</td></tr>
 *   <tr><td>pool.min, pool.initial, schedules[].min</td><td>{@code 0..max}</td></tr>
 *   <tr><td>pool.max-uses</td><td>{@code 1..2147483647}</td></tr>
 *   <tr><td>limits.memory</td><td>{@code 4m..1t}</td></tr>
 *   <tr><td>limits.tmp</td><td>{@code 0..64g}</td></tr>
 *   <tr><td>limits.pids</td><td>{@code 1..4194304}</td></tr>
 *   <tr><td>limits.user</td><td>uid and gid in {@code 1..2147483647}: never root</td></tr>
 *   <tr><td>host.memory</td><td>{@code 0..1p}</td></tr>
 *   <tr><td>env</td><td>names {@code [A-Za-z_][A-Za-z0-9_]*}, none starting with {@code FAAS_} or
 *       {@code LISTEN_}; no NUL; at most 64 KiB in all</td></tr>
 *   <tr><td>command</td><td>at most 256 arguments, no NUL, at most 64 KiB in all</td></tr>
 *   <tr><td>image</td><td>not blank, no whitespace or control characters, at most 255 characters</td></tr>
 * </table>
 */
public final class Bounds {
    /** {@code timeouts.acquire}: a client waits at most this long for a warm container, then gets 503. */
    public static final Duration MAX_ACQUIRE = Duration.ofMinutes(10);
    /** {@code timeouts.start}: a container that has not said hello by then never will. */
    public static final Duration MAX_START = Duration.ofMinutes(10);
    /** {@code timeouts.request}: a request that runs longer is a batch job, not a function call. */
    public static final Duration MAX_REQUEST = Duration.ofHours(24);
    /** {@code pool.idle-ttl}: a keep-alive of a month is as good as none. */
    public static final Duration MAX_IDLE_TTL = Duration.ofDays(30);

    /** {@code pool.max}: containers of one function; the scaling policy's searches stop far above it. */
    public static final int MAX_CONTAINERS = 10_000;
    /** {@code timeouts.first-byte}: how long an accepted connection may stay silent. */
    public static final Duration MAX_FIRST_BYTE = Duration.ofMinutes(10);
    /** {@code concurrency}: connections one container serves at once (Knative caps containerConcurrency at 1000). */
    public static final int MAX_CONCURRENCY = 1000;
    /** {@code admission.connections}: each is a descriptor and a little memory, and no thread. */
    public static final int MAX_CONNECTIONS = 1_000_000;

    /** {@code limits.memory}: Docker's minimum. */
    public static final long MIN_MEMORY = 4L << 20;
    /** {@code limits.memory}: 1 TiB. Times {@link #MAX_CONTAINERS}, still far within a long. */
    public static final long MAX_MEMORY = 1L << 40;
    /** {@code limits.tmp}: 64 GiB of tmpfs, which is memory too. */
    public static final long MAX_TMP = 64L << 30;
    /** {@code limits.cpus}: Docker's smallest quota, 0.01 CPU, in thousandths. */
    public static final long MIN_MILLI_CPUS = 10;
    /** {@code limits.cpus}: 1024 CPUs. */
    public static final long MAX_MILLI_CPUS = 1024 * 1000L;
    /** {@code limits.shm}: like tmp, memory. */
    public static final long MAX_SHM = 64L << 30;
    /** {@code limits.nofile}: below 16 not even an interpreter starts. */
    public static final long MIN_NOFILE = 16;
    /** {@code limits.nofile}: the kernel's default {@code fs.nr_open}. */
    public static final long MAX_NOFILE = 1L << 20;
    /**
     * {@code runtime}: the OCI runtimes a function can be served under. Not runsc: gVisor takes only Unix
     * sockets over {@code SCM_RIGHTS}, so the client's TCP descriptor never reaches the handler
     * (runtime-init/RUNSC.md).
     */
    public static final java.util.Set<String> RUNTIMES = java.util.Set.of("runc");
    /** Why {@code runtime} cannot serve a function, for the runtimes known not to; null otherwise. */
    public static String runtimeProblem(String runtime) {
        if (runtime.equals("runsc")) {
            return "runsc (gVisor) cannot take the client's TCP connection: it imports only Unix sockets passed with"
                    + " SCM_RIGHTS (runtime-init/RUNSC.md)";
        }
        return RUNTIMES.contains(runtime) ? null : "must be one of " + new java.util.TreeSet<>(RUNTIMES) + " (was '"
                + runtime + "')";
    }
    /** {@code limits.pids}: the kernel's {@code PID_MAX_LIMIT}; no cgroup can hold more. */
    public static final long MAX_PIDS = 4_194_304;
    /** {@code host.memory}: 1 PiB. */
    public static final long MAX_HOST_MEMORY = 1L << 50;
    /** {@code limits.user}: the largest uid and gid (Linux ids are unsigned 32-bit, Docker's signed). */
    public static final int MAX_ID = Integer.MAX_VALUE;

    /** {@code env}: the names a shell and every runtime accept. */
    public static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /**
     * {@code env}: names the pool and faas-init set themselves ({@code FAAS_CONTROL_SOCK}, {@code FAAS_FUNCTION},
     * {@code FAAS_MODE}, {@code FAAS_STDIO}, {@code FAAS_CLIENT_FD}, {@code LISTEN_FDS}, {@code LISTEN_PID},
     * {@code LISTEN_FDNAMES}) and any they may set later: a function's own would hijack its control socket or mode.
     */
    public static final List<String> RESERVED_ENV_PREFIXES = List.of("FAAS_", "LISTEN_");
    /** {@code env}: bytes of all variables together, each counted as its name, its value and 2 ({@code =}, NUL). */
    public static final int MAX_ENV_BYTES = 64 << 10;
    /** {@code command}: arguments. */
    public static final int MAX_COMMAND_ARGS = 256;
    /** Schedules per function: each is looked at on every tick. */
    public static final int MAX_SCHEDULES = 64;
    /** {@code command}: bytes of all arguments together, each counted with its terminating NUL. */
    public static final int MAX_COMMAND_BYTES = 64 << 10;
    /** {@code image}: Docker's limit on a repository name is 255 characters. */
    public static final int MAX_IMAGE_LENGTH = 255;

    /** {@code --drain-timeout}: as {@link #MAX_ACQUIRE}, what an orderly stop may make a client wait. */
    public static final Duration MAX_DRAIN = Duration.ofMinutes(10);
    /** {@code --report-interval}: the latency log counts in milliseconds. */
    public static final Duration MIN_REPORT_INTERVAL = Duration.ofMillis(1);
    /** {@code --report-interval}: an interval longer than an hour says nothing a summary does not. */
    public static final Duration MAX_REPORT_INTERVAL = Duration.ofHours(1);
    /** {@code --start-concurrency}: more parallel creates only queue up in the Docker engine. */
    public static final int MAX_START_CONCURRENCY = 64;

    /** {@code network}: the default, no network at all (only the control socket's directory is shared). */
    public static final String NO_NETWORK = "none";
    /** {@code network}: Docker's network names; at most 128 characters here. */
    private static final Pattern NETWORK = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    /**
     * What is wrong with {@code network}, or null. {@code host} and {@code container:...} are refused: the first
     * puts the container in the host's network namespace (every port of the host, the admin endpoint, the
     * Docker API if it listens on TCP), the second in another container's; either undoes the isolation that
     * {@code none} or a named network keeps.
     */
    public static String networkProblem(String network) {
        if (network.equals("host")) {
            return "host is refused: the container would share the host's network namespace (every port the host"
                    + " listens on, loopback included); name a Docker network instead";
        }
        if (network.startsWith("container:")) {
            return "container:... is refused: the container would share another container's network namespace;"
                    + " name a Docker network instead";
        }
        if (!NETWORK.matcher(network).matches()) {
            return "must be none or a Docker network name matching " + NETWORK + " (was '" + network + "')";
        }
        return null;
    }

    private static final Pattern USER = Pattern.compile("\\d{1,10}(:\\d{1,10})?");

    private Bounds() {}

    /** What is wrong with {@code user} ({@code uid[:gid]}, never root), or null. */
    static String userProblem(String user) {
        if (!USER.matcher(user).matches()) {
            return "must be uid or uid:gid in numbers, for example \"65534:65534\" (was '" + user + "')";
        }
        String[] parts = user.split(":");
        for (int i = 0; i < parts.length; i++) {
            long id = Long.parseLong(parts[i]);
            String what = i == 0 ? "uid" : "gid";
            if (id == 0) {
                return "faas-pool runs functions as an unprivileged user: " + what + " 0 is "
                        + (i == 0 ? "root" : "root's group") + " (was '" + user + "')";
            }
            if (id > MAX_ID) {
                return what + " must be within 1.." + MAX_ID + " (was '" + user + "')";
            }
        }
        return null;
    }

    /** What is wrong with {@code image}, or null. */
    static String imageProblem(String image) {
        if (image.isBlank()) {
            return "must not be empty";
        }
        if (image.length() > MAX_IMAGE_LENGTH) {
            return "must be at most " + MAX_IMAGE_LENGTH + " characters (was " + image.length() + ")";
        }
        for (int i = 0; i < image.length(); i++) {
            char c = image.charAt(i);
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
                return "must not contain whitespace or control characters (was '" + image + "')";
            }
        }
        return null;
    }

    /** What is wrong with the name of an environment variable, or null. */
    static String envNameProblem(String name) {
        if (!ENV_NAME.matcher(name).matches()) {
            return "'" + name + "' is not a variable name; names match " + ENV_NAME;
        }
        for (String prefix : RESERVED_ENV_PREFIXES) {
            if (name.startsWith(prefix)) {
                return "is set by faas-pool itself; names starting with "
                        + String.join(" or ", RESERVED_ENV_PREFIXES) + " are reserved";
            }
        }
        return null;
    }

    /** What is wrong with the value of an environment variable, or null. */
    static String envValueProblem(String value) {
        return value.indexOf('\0') >= 0 ? "must not contain a NUL character" : null;
    }

    /** What is wrong with the environment as a whole (its size), or null. */
    static String envSizeProblem(Map<String, String> env) {
        long bytes = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            bytes += utf8(e.getKey()) + utf8(e.getValue()) + 2;
        }
        return bytes > MAX_ENV_BYTES ? "takes " + bytes + " bytes, more than " + MAX_ENV_BYTES
                + " (each variable counts its name, its value and 2)" : null;
    }

    /** What is wrong with a handler command, or null. */
    static String commandProblem(List<String> command) {
        if (command.size() > MAX_COMMAND_ARGS) {
            return "has " + command.size() + " arguments, more than " + MAX_COMMAND_ARGS;
        }
        long bytes = 0;
        for (int i = 0; i < command.size(); i++) {
            String arg = command.get(i);
            if (arg.indexOf('\0') >= 0) {
                return "argument " + i + " contains a NUL character";
            }
            bytes += utf8(arg) + 1;
        }
        return bytes > MAX_COMMAND_BYTES ? "takes " + bytes + " bytes, more than " + MAX_COMMAND_BYTES
                + " (each argument counts its length and 1)" : null;
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}

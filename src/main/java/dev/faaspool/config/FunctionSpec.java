package dev.faaspool.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the pool needs to know about one function: what to run, where it listens, how many warm
 * containers to keep, what each container may use and how long to wait for it.
 *
 * <p>Every value is within its {@link Bounds}: the constructors of this record and of its parts reject one
 * that is not, whoever builds them.
 *
 * @param name    unique among the functions of one pool; {@code [a-z0-9][a-z0-9-]*}, at most 40 characters
 * @param image   a local Docker image whose entrypoint is faas-init; no whitespace or control characters, at
 *                most {@link Bounds#MAX_IMAGE_LENGTH} characters
 * @param command the handler command given to faas-init; empty keeps the image's own CMD; at most
 *                {@link Bounds#MAX_COMMAND_ARGS} arguments and {@link Bounds#MAX_COMMAND_BYTES} bytes, no NUL
 * @param env     extra environment of the handler: names {@link Bounds#ENV_NAME}, none reserved
 *                ({@link Bounds#RESERVED_ENV_PREFIXES}), no NUL, at most {@link Bounds#MAX_ENV_BYTES} bytes
 * @param listen  the TCP address clients connect to; null when the function is reached only through the front
 *                HTTP listener ({@link PoolConfig#http()}), by path {@code /function/<name>} or by {@link #hosts()}
 * @param stdio   whether the handler also gets the connection as stdin and stdout (inetd style)
 * @param sandbox how a request is kept from others and from the host beyond the fixed confinement:
 *                isolation, seccomp profile, OCI runtime
 * @param concurrency connections one container serves at once, {@code 1..}{@link Bounds#MAX_CONCURRENCY}
 *                (Knative's {@code containerConcurrency}); above 1 only in persistent mode, where the SDK
 *                serves several at once (fork and oneshot inits take one at a time)
 * @param secretEnv more environment of the handler, read from the function's {@code env-file}: the same rules as
 *                {@code env}, no name in both, both together within {@link Bounds#MAX_ENV_BYTES}; its values are
 *                never printed (its {@code toString}, and so this record's, names the variables only)
 * @param network the Docker network the containers join: {@link Bounds#NO_NETWORK} (none, the default), or the
 *                name of an existing network ({@link Bounds#networkProblem}); never {@code host} or
 *                {@code container:...}
 * @param hosts   the {@code Host:} names the front HTTP listener routes to this function: lower-case DNS names
 *                ({@link HostNames}), each at most once; empty for none
 */
public record FunctionSpec(
        String name,
        String image,
        List<String> command,
        Map<String, String> env,
        InetSocketAddress listen,
        HandlerMode mode,
        boolean stdio,
        PoolSize pool,
        Limits limits,
        Timeouts timeouts,
        Admission admission,
        int concurrency,
        Sandbox sandbox,
        SecretEnv secretEnv,
        String network,
        List<String> hosts) {

    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

    public FunctionSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must match " + NAME + " (was '" + name + "')");
        }
        Objects.requireNonNull(image, "image");
        require("image", Bounds.imageProblem(image));
        command = List.copyOf(command);
        require("command", Bounds.commandProblem(command));
        env = Map.copyOf(env);
        for (Map.Entry<String, String> e : env.entrySet()) {
            require("env " + e.getKey(), Bounds.envNameProblem(e.getKey()));
            require("env " + e.getKey(), Bounds.envValueProblem(e.getValue()));
        }
        Objects.requireNonNull(secretEnv, "secretEnv");
        for (String key : secretEnv.values().keySet()) {
            if (env.containsKey(key)) {
                throw new IllegalArgumentException("env " + key + " is also set by the env-file; set it in one place");
            }
        }
        require("env", Bounds.envSizeProblem(merged(env, secretEnv)));
        Objects.requireNonNull(network, "network");
        require("network", Bounds.networkProblem(network));
        hosts = List.copyOf(hosts);
        Set<String> seen = new HashSet<>();
        for (String h : hosts) {
            require("hosts", HostNames.problem(h));
            if (!seen.add(h)) {
                throw new IllegalArgumentException("hosts names " + h + " twice");
            }
        }
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(admission, "admission");
        if (concurrency < 1 || concurrency > Bounds.MAX_CONCURRENCY) {
            throw new IllegalArgumentException("concurrency must be within 1.." + Bounds.MAX_CONCURRENCY
                    + " (was " + concurrency + ")");
        }
        require("concurrency", concurrencyProblem(concurrency, mode));
        Objects.requireNonNull(sandbox, "sandbox");
        String problem = Sandbox.problem(sandbox.isolation(), mode);
        if (problem != null) {
            throw new IllegalArgumentException("isolation " + problem);
        }
    }

    /** {@code env} and then {@code secretEnv}, whose names are not among {@code env}'s. */
    private static Map<String, String> merged(Map<String, String> env, SecretEnv secretEnv) {
        Map<String, String> all = new LinkedHashMap<>(env);
        all.putAll(secretEnv.values());
        return all;
    }

    /** The handler's whole environment of the configuration: {@link #env()} and {@link #secretEnv()} together. */
    public Map<String, String> environment() {
        return Map.copyOf(merged(env, secretEnv));
    }

    /**
     * Environment variables whose values are secrets (a function's {@code env-file}). They reach the handler like
     * {@code env}, and nothing else: {@link #toString()} names the variables only, so that a spec logged, put in
     * an exception or in {@code /status} shows no value.
     *
     * @param values names ({@link Bounds#ENV_NAME}, none reserved) to values (no NUL)
     */
    public record SecretEnv(Map<String, String> values) {
        public static final SecretEnv NONE = new SecretEnv(Map.of());

        public SecretEnv {
            values = Map.copyOf(values);
            for (Map.Entry<String, String> e : values.entrySet()) {
                require("env-file " + e.getKey(), Bounds.envNameProblem(e.getKey()));
                require("env-file " + e.getKey(), Bounds.envValueProblem(e.getValue()));
            }
        }

        @Override
        public String toString() {
            return "SecretEnv" + new java.util.TreeSet<>(values.keySet()) + " (values redacted)";
        }
    }

    /**
     * How a function's requests are kept apart and its containers confined, beyond what every container
     * gets (no network, read-only root, no capabilities, no privilege gain, limits).
     *
     * @param isolation what a request can see of the requests before it ({@link Isolation})
     * @param seccomp   the seccomp profile ({@link Seccomp})
     * @param runtime   the engine's OCI runtime: one of {@link Bounds#RUNTIMES} ({@code runsc}: gVisor)
     */
    public record Sandbox(Isolation isolation, Seccomp seccomp, String runtime) {
        public Sandbox {
            Objects.requireNonNull(isolation, "isolation");
            Objects.requireNonNull(seccomp, "seccomp");
            Objects.requireNonNull(runtime, "runtime");
            String problem = Bounds.runtimeProblem(runtime);
            if (problem != null) {
                throw new IllegalArgumentException("runtime " + problem);
            }
        }

        /** Request isolation where the mode allows it, faas-pool's seccomp profile, runc. */
        public static Sandbox defaultFor(HandlerMode mode) {
            return new Sandbox(Isolation.defaultFor(mode), Seccomp.FAAS, Defaults.RUNTIME);
        }

        /** Why {@code isolation} cannot be had in {@code mode}, or null when it can. */
        static String problem(Isolation isolation, HandlerMode mode) {
            if (isolation == Isolation.REQUEST && mode == HandlerMode.PERSISTENT) {
                return "request needs mode fork or oneshot: a persistent handler is one process for many requests";
            }
            if (isolation == Isolation.CONTAINER && mode == HandlerMode.ONESHOT) {
                return "container means nothing in oneshot mode, where a container serves one request";
            }
            return null;
        }
    }

    /**
     * A function with the default admission bounds, one connection per container at a time and the default
     * sandbox of its mode.
     */
    public FunctionSpec(String name, String image, List<String> command, Map<String, String> env,
            InetSocketAddress listen, HandlerMode mode, boolean stdio, PoolSize pool, Limits limits, Timeouts timeouts) {
        this(name, image, command, env, listen, mode, stdio, pool, limits, timeouts, Admission.DEFAULT,
                Defaults.CONCURRENCY, Sandbox.defaultFor(mode), SecretEnv.NONE, Bounds.NO_NETWORK, List.of());
    }

    /** Why one container cannot serve {@code concurrency} connections at once in {@code mode}, or null when it can. */
    static String concurrencyProblem(int concurrency, HandlerMode mode) {
        return concurrency > 1 && mode != HandlerMode.PERSISTENT
                ? "above 1 needs mode: persistent (a " + mode.configName() + " init serves one connection at a time)"
                : null;
    }

    /** Throws {@code problem}, a reason from {@link Bounds}, about {@code what}; nothing when it is null. */
    private static void require(String what, String problem) {
        if (problem != null) {
            throw new IllegalArgumentException(what + " " + problem);
        }
    }

    /** This function with a different minimum of warm containers; max grows to it if needed. */
    public FunctionSpec withMin(int min) {
        return new FunctionSpec(name, image, command, env, listen, mode, stdio,
                new PoolSize(min, Math.max(min, pool.max()), pool.maxUses(), pool.idleTtl(), pool.schedules(),
                        pool.scaling(), pool.prewarm(), pool.initial()), limits, timeouts, admission,
                concurrency, sandbox, secretEnv, network, hosts);
    }

    /**
     * How many containers a function may have, and for how long.
     *
     * @param min     how many warm containers the pool keeps at least, whatever the demand; {@code 0 <= min <= max}
     * @param max     how many containers the function may have at once, busy ones included;
     *                {@code 1 <= max <= }{@link Bounds#MAX_CONTAINERS}
     * @param maxUses requests a container serves before it is recycled (fork and persistent modes; a oneshot
     *                container serves one); {@code >= 1}
     * @param idleTtl how long a warm container beyond what the demand needs may stay unused; {@code > 0} and at
     *                most {@link Bounds#MAX_IDLE_TTL}
     * @param schedules time-of-day floors for known peaks; each one's min {@code <= max}
     * @param scaling whether the pool sizes itself from demand above min, or is fixed at min (and the
     *                schedules' floors)
     * @param prewarm whether to learn the function's pauses and pre-warm before the next request
     * @param initial containers warmed when the function is deployed, kept until its first request or for
     *                {@code idleTtl}; {@code 0 <= initial <= max}, and 0 without demand scaling
     */
    public record PoolSize(int min, int max, int maxUses, Duration idleTtl, List<Schedule> schedules,
            Scaling scaling, Prewarm prewarm, int initial) {

        /** Sized from demand, without schedules, with learned pre-warming and the default initial containers. */
        public PoolSize(int min, int max, int maxUses, Duration idleTtl) {
            this(min, max, maxUses, idleTtl, List.of(), Scaling.DEMAND, Prewarm.LEARNED,
                    Math.min(Defaults.INITIAL, max));
        }

        /** A fixed pool of {@code min} warm containers. */
        public static PoolSize fixed(int min, int max, int maxUses, Duration idleTtl) {
            return new PoolSize(min, max, maxUses, idleTtl, List.of(), Scaling.FIXED, Prewarm.OFF, 0);
        }

        public PoolSize {
            Objects.requireNonNull(scaling, "scaling");
            Objects.requireNonNull(prewarm, "prewarm");
            schedules = List.copyOf(schedules);
            for (Schedule sc : schedules) {
                if (sc.min() > max) {
                    throw new IllegalArgumentException("a schedule's min must be <= max (was " + sc.min() + ", max "
                            + max + ")");
                }
            }
            if (maxUses < 1) {
                throw new IllegalArgumentException("max-uses must be >= 1 (was " + maxUses + ")");
            }
            Timeouts.requireWithin(idleTtl, Bounds.MAX_IDLE_TTL, "idle-ttl");
            if (min < 0) {
                throw new IllegalArgumentException("min must be >= 0 (was " + min + ")");
            }
            if (max < 1) {
                throw new IllegalArgumentException("max must be >= 1 (was " + max + ")");
            }
            if (max > Bounds.MAX_CONTAINERS) {
                throw new IllegalArgumentException("max must be <= " + Bounds.MAX_CONTAINERS + " (was " + max + ")");
            }
            if (min > max) {
                throw new IllegalArgumentException("min must be <= max (was min " + min + ", max " + max + ")");
            }
            if (initial < 0 || initial > max) {
                throw new IllegalArgumentException("initial must be >= 0 and <= max (was initial " + initial
                        + ", max " + max + ")");
            }
            if (initial > 0 && scaling != Scaling.DEMAND) {
                throw new IllegalArgumentException("initial needs scaling: demand (a fixed pool keeps min)");
            }
        }
    }

    /**
     * What one container may use.
     *
     * @param memoryBytes memory limit (swap included); at least 4 MiB, as Docker requires, and at most
     *                    {@link Bounds#MAX_MEMORY}
     * @param pids        limit on processes and threads, {@code 1..}{@link Bounds#MAX_PIDS}
     * @param tmpBytes    size of the writable tmpfs at {@code /tmp}; 0 for none, at most {@link Bounds#MAX_TMP}
     * @param user        {@code uid[:gid]} the handler runs as, both in {@code 1..2147483647} (never root); a
     *                    lone uid is kept as {@code uid:uid}, so that Docker, which would give a uid without a
     *                    passwd entry group 0, runs it with the group the pool opens its control socket to
     * @param milliCpus   CPU quota, in thousandths of a CPU ({@link Bounds#MIN_MILLI_CPUS}..{@link Bounds#MAX_MILLI_CPUS})
     * @param shmBytes    size of {@code /dev/shm}; 0 for none (no IPC namespace mount), at most {@link Bounds#MAX_SHM}
     * @param nofile      open descriptors per process ({@code RLIMIT_NOFILE}, soft and hard),
     *                    {@link Bounds#MIN_NOFILE}..{@link Bounds#MAX_NOFILE}
     */
    public record Limits(long memoryBytes, long pids, long tmpBytes, String user, long milliCpus, long shmBytes,
            long nofile) {
        public static final long MIN_MEMORY = Bounds.MIN_MEMORY;

        /** With the default CPU quota, {@code /dev/shm} and descriptor limit. */
        public Limits(long memoryBytes, long pids, long tmpBytes, String user) {
            this(memoryBytes, pids, tmpBytes, user, Defaults.MILLI_CPUS, Defaults.SHM, Defaults.NOFILE);
        }

        public Limits {
            if (milliCpus < Bounds.MIN_MILLI_CPUS || milliCpus > Bounds.MAX_MILLI_CPUS) {
                throw new IllegalArgumentException("cpus must be within 0.01.." + Bounds.MAX_MILLI_CPUS / 1000
                        + " (was " + milliCpus / 1000.0 + ")");
            }
            if (shmBytes < 0 || shmBytes > Bounds.MAX_SHM) {
                throw new IllegalArgumentException("shm must be within 0.." + Units.formatBytes(Bounds.MAX_SHM)
                        + " (was " + shmBytes + " bytes)");
            }
            if (nofile < Bounds.MIN_NOFILE || nofile > Bounds.MAX_NOFILE) {
                throw new IllegalArgumentException("nofile must be within " + Bounds.MIN_NOFILE + ".."
                        + Bounds.MAX_NOFILE + " (was " + nofile + ")");
            }
            if (memoryBytes < MIN_MEMORY || memoryBytes > Bounds.MAX_MEMORY) {
                throw new IllegalArgumentException("memory must be within 4m.." + Units.formatBytes(Bounds.MAX_MEMORY)
                        + " (was " + memoryBytes + " bytes)");
            }
            if (pids < 1 || pids > Bounds.MAX_PIDS) {
                throw new IllegalArgumentException("pids must be within 1.." + Bounds.MAX_PIDS + " (was " + pids + ")");
            }
            if (tmpBytes < 0 || tmpBytes > Bounds.MAX_TMP) {
                throw new IllegalArgumentException("tmp must be within 0.." + Units.formatBytes(Bounds.MAX_TMP)
                        + " (was " + tmpBytes + " bytes)");
            }
            Objects.requireNonNull(user, "user");
            String problem = Bounds.userProblem(user);
            if (problem != null) {
                throw new IllegalArgumentException("user " + problem);
            }
            String[] ids = user.split(":");
            user = Long.parseLong(ids[0]) + ":" + Long.parseLong(ids[ids.length - 1]);
        }

        /** Whether {@code user} is {@code uid[:gid]} with both in {@code 1..2147483647}: a user faas-pool runs. */
        public static boolean validUser(String user) {
            return Bounds.userProblem(user) == null;
        }

        public int uid() {
            return Integer.parseInt(user.split(":")[0]);
        }

        public int gid() {
            return Integer.parseInt(user.split(":")[1]);
        }
    }

    /**
     * How long to wait.
     *
     * Each is longer than 0 and at most its bound, so that the pool's deadlines ({@code System.nanoTime()}
     * plus a timeout) cannot overflow.
     *
     * @param acquire how long a request may wait for a warm slot before it is answered 503; at most
     *                {@link Bounds#MAX_ACQUIRE}
     * @param start   how long a new container may take to connect and say hello; at most {@link Bounds#MAX_START}
     * @param request how long a request may run; past it, its container is removed; at most
     *                {@link Bounds#MAX_REQUEST}
     */
    public record Timeouts(Duration acquire, Duration start, Duration request, Duration firstByte) {
        public Timeouts {
            requireWithin(acquire, Bounds.MAX_ACQUIRE, "acquire");
            requireWithin(start, Bounds.MAX_START, "start");
            requireWithin(request, Bounds.MAX_REQUEST, "request");
            requireWithin(firstByte, Bounds.MAX_FIRST_BYTE, "first-byte");
        }

        /** With the default first-byte timeout. */
        public Timeouts(Duration acquire, Duration start, Duration request) {
            this(acquire, start, request, Defaults.FIRST_BYTE);
        }

        static void requireWithin(Duration d, Duration max, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0 (was " + d + ")");
            }
            if (d.compareTo(max) > 0) {
                throw new IllegalArgumentException(what + " must be <= " + Units.format(max) + " (was " + d + ")");
            }
        }
    }

    /**
     * How many connections a function admits, so that what one function's clients do cannot take
     * another's capacity (threads, memory, descriptors) beyond the CPU they share.
     *
     * @param connections connections open at once that faas-pool holds and no handler has yet (waiting
     *                    for their first bytes or for a container, or being handed off); beyond, 503 at once
     * @param queued      requests waiting for a container at once; beyond, 503 at once
     */
    public record Admission(int connections, int queued) {
        public static final Admission DEFAULT = new Admission(Defaults.CONNECTIONS, Defaults.QUEUED);

        public Admission {
            if (connections < 1 || connections > Bounds.MAX_CONNECTIONS) {
                throw new IllegalArgumentException("connections must be within 1.." + Bounds.MAX_CONNECTIONS
                        + " (was " + connections + ")");
            }
            if (queued < 1 || queued > connections) {
                throw new IllegalArgumentException("queued must be within 1..connections (was " + queued
                        + ", connections " + connections + ")");
            }
        }
    }
}

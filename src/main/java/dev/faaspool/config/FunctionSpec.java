package dev.faaspool.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything the pool needs to know about one function: what to run, where it listens, how many warm
 * containers to keep, what each container may use and how long to wait for it.
 *
 * @param name    unique among the functions of one pool; {@code [a-z0-9][a-z0-9-]*}, at most 40 characters
 * @param image   a local Docker image whose entrypoint is faas-init
 * @param command the handler command given to faas-init; empty keeps the image's own CMD
 * @param env     extra environment of the handler
 * @param listen  the TCP address clients connect to
 * @param stdio   whether the handler also gets the connection as stdin and stdout (inetd style)
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
        Timeouts timeouts) {

    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

    public FunctionSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name must match " + NAME + " (was '" + name + "')");
        }
        Objects.requireNonNull(image, "image");
        if (image.isBlank()) {
            throw new IllegalArgumentException("image must not be blank");
        }
        command = List.copyOf(command);
        env = Map.copyOf(env);
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(timeouts, "timeouts");
    }

    /** This function with a different minimum of warm containers; max grows to it if needed. */
    public FunctionSpec withMin(int min) {
        return new FunctionSpec(name, image, command, env, listen, mode, stdio,
                new PoolSize(min, Math.max(min, pool.max()), pool.maxUses(), pool.idleTtl(), pool.schedules(),
                        pool.demandScaling(), pool.learnedPrewarm(), pool.initial()), limits, timeouts);
    }

    /**
     * How many containers a function may have, and for how long.
     *
     * @param min     how many warm containers the pool keeps at least, whatever the demand; {@code 0 <= min <= max}
     * @param max     how many containers the function may have at once, busy ones included; {@code max >= 1}
     * @param maxUses requests a container serves before it is recycled (fork and persistent modes; a oneshot
     *                container serves one); {@code >= 1}
     * @param idleTtl how long a warm container beyond what the demand needs may stay unused; {@code > 0}
     * @param schedules time-of-day floors for known peaks
     * @param demandScaling whether the pool sizes itself from demand above min; without it the pool is fixed
     *                      at min (and the schedules' floors)
     * @param learnedPrewarm whether to learn the function's pauses and pre-warm before the next request
     * @param initial containers warmed when the function is deployed, kept until its first request or for
     *                {@code idleTtl}; {@code 0 <= initial <= max}, and 0 without demand scaling
     */
    public record PoolSize(int min, int max, int maxUses, Duration idleTtl, List<Schedule> schedules,
            boolean demandScaling, boolean learnedPrewarm, int initial) {

        /** Sized from demand, without schedules, with learned pre-warming and the default initial containers. */
        public PoolSize(int min, int max, int maxUses, Duration idleTtl) {
            this(min, max, maxUses, idleTtl, List.of(), true, true, Math.min(Defaults.INITIAL, max));
        }

        /** A fixed pool of {@code min} warm containers. */
        public static PoolSize fixed(int min, int max, int maxUses, Duration idleTtl) {
            return new PoolSize(min, max, maxUses, idleTtl, List.of(), false, false, 0);
        }

        public PoolSize {
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
            Objects.requireNonNull(idleTtl, "idleTtl");
            if (idleTtl.isZero() || idleTtl.isNegative()) {
                throw new IllegalArgumentException("idle-ttl must be > 0 (was " + idleTtl + ")");
            }
            if (min < 0) {
                throw new IllegalArgumentException("min must be >= 0 (was " + min + ")");
            }
            if (max < 1) {
                throw new IllegalArgumentException("max must be >= 1 (was " + max + ")");
            }
            if (min > max) {
                throw new IllegalArgumentException("min must be <= max (was min " + min + ", max " + max + ")");
            }
            if (initial < 0 || initial > max) {
                throw new IllegalArgumentException("initial must be >= 0 and <= max (was initial " + initial
                        + ", max " + max + ")");
            }
            if (initial > 0 && !demandScaling) {
                throw new IllegalArgumentException("initial needs scaling: demand (a fixed pool keeps min)");
            }
        }
    }

    /**
     * What one container may use.
     *
     * @param memoryBytes memory limit (swap included); at least 4 MiB, as Docker requires
     * @param pids        limit on processes and threads, {@code >= 1}
     * @param tmpBytes    size of the writable tmpfs at {@code /tmp}; 0 for none
     * @param user        {@code uid[:gid]} the handler runs as
     */
    public record Limits(long memoryBytes, long pids, long tmpBytes, String user) {
        public static final long MIN_MEMORY = 4L << 20;
        private static final Pattern USER = Pattern.compile("\\d{1,10}(:\\d{1,10})?");

        public Limits {
            if (memoryBytes < MIN_MEMORY) {
                throw new IllegalArgumentException("memory must be >= 4m (was " + memoryBytes + " bytes)");
            }
            if (pids < 1) {
                throw new IllegalArgumentException("pids must be >= 1 (was " + pids + ")");
            }
            if (tmpBytes < 0) {
                throw new IllegalArgumentException("tmp must be >= 0 (was " + tmpBytes + ")");
            }
            Objects.requireNonNull(user, "user");
            if (!validUser(user)) {
                throw new IllegalArgumentException("user must be uid or uid:gid in numbers (was '" + user + "')");
            }
        }

        /** Whether {@code user} is {@code uid[:gid]} with both in {@code 0..2147483647}. */
        public static boolean validUser(String user) {
            if (!USER.matcher(user).matches()) {
                return false;
            }
            for (String part : user.split(":")) {
                if (Long.parseLong(part) > Integer.MAX_VALUE) {
                    return false;
                }
            }
            return true;
        }

        public int uid() {
            return Integer.parseInt(user.split(":")[0]);
        }

        public int gid() {
            String[] parts = user.split(":");
            return Integer.parseInt(parts.length > 1 ? parts[1] : parts[0]);
        }
    }

    /**
     * How long to wait.
     *
     * @param acquire how long a request may wait for a warm slot before it is answered 503
     * @param start   how long a new container may take to connect and say hello
     * @param request how long a request may run; past it, its container is removed
     */
    public record Timeouts(Duration acquire, Duration start, Duration request) {
        public Timeouts {
            requirePositive(acquire, "acquire");
            requirePositive(start, "start");
            requirePositive(request, "request");
        }

        private static void requirePositive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0 (was " + d + ")");
            }
        }
    }
}

package dev.faaspool.config;

import java.net.InetSocketAddress;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validated configuration of one faas-pool: its functions, in the order they were declared, and
 * the host's limits. Names and listen addresses are unique among the functions, and so is each of their
 * {@link FunctionSpec#hosts()}; their minimums fit in the host's memory budget.
 *
 * <p>Whether every function can be reached is {@link #routingProblem()}'s question, not the constructor's: a
 * function without {@code listen} needs the front listener's address, which the command line ({@code --http})
 * may give after the files are loaded ({@link #withHttp}).
 *
 * @param http the front HTTP listener's address ({@code http:}), or null for none
 */
public record PoolConfig(List<FunctionSpec> functions, Host host, InetSocketAddress http) {

    public PoolConfig {
        functions = List.copyOf(functions);
        Objects.requireNonNull(host, "host");
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one function");
        }
        Map<String, String> hostOwner = new HashMap<>();
        for (FunctionSpec f : functions) {
            for (String h : f.hosts()) {
                String other = hostOwner.putIfAbsent(h, f.name());
                if (other != null) {
                    throw new IllegalArgumentException("host " + h + " is claimed by both " + other + " and "
                            + f.name());
                }
            }
        }
        if (host.memoryBudget() > 0) {
            long mins = minimumsMemory(functions);
            if (mins > host.memoryBudget()) {
                throw new IllegalArgumentException("the functions' minimums need " + (mins >> 20) + " MiB, more than"
                        + " the host's memory budget of " + (host.memoryBudget() >> 20) + " MiB");
            }
        }
    }

    /**
     * The memory limits of every function's {@code min} containers together, in bytes. Within the {@link Bounds}
     * (10000 containers of 1 TiB) a function's part fits a long many times over, but the number of functions
     * has no bound: the sum saturates at {@code Long.MAX_VALUE} rather than wrap to a sum that fits any budget.
     */
    public static long minimumsMemory(List<FunctionSpec> functions) {
        long mins = 0;
        for (FunctionSpec f : functions) {
            try {
                mins = Math.addExact(mins, Math.multiplyExact((long) f.pool().min(), f.limits().memoryBytes()));
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return mins;
    }

    public PoolConfig(List<FunctionSpec> functions) {
        this(functions, Host.DEFAULT, null);
    }

    /** Without a front HTTP listener. */
    public PoolConfig(List<FunctionSpec> functions, Host host) {
        this(functions, host, null);
    }

    /** This configuration with every function's minimum of warm containers set to {@code min} ({@code --pool-size}). */
    public PoolConfig withMin(int min) {
        return new PoolConfig(functions.stream().map(f -> f.withMin(min)).toList(), host, http);
    }

    /** This configuration with the front HTTP listener at {@code http} (null: none), as {@code --http} sets it. */
    public PoolConfig withHttp(InetSocketAddress http) {
        return new PoolConfig(functions, host, http);
    }

    /**
     * Why this configuration cannot be served as it is, or null when it can: a function without {@code listen}
     * while there is no front listener ({@link #http()} is null), or the front listener's address is also a
     * function's {@code listen}. The loader asks it when the files set {@code http:}; whoever applies
     * {@code --http} afterwards ({@link #withHttp}) asks it then.
     */
    public String routingProblem() {
        if (http == null) {
            List<String> unreachable = functions.stream().filter(f -> f.listen() == null).map(FunctionSpec::name)
                    .toList();
            if (!unreachable.isEmpty()) {
                return "function" + (unreachable.size() == 1 ? " " : "s ") + String.join(", ", unreachable)
                        + (unreachable.size() == 1 ? " has" : " have") + " no listen address and there is no front"
                        + " listener: set http: HOST:PORT (or --http), or give " + (unreachable.size() == 1 ? "it" : "each")
                        + " a listen address";
            }
            return null;
        }
        for (FunctionSpec f : functions) {
            if (http.equals(f.listen())) {
                return "http " + Defaults.format(http) + " is also the listen address of function " + f.name();
            }
        }
        return null;
    }

    /**
     * What all functions share.
     *
     * @param memoryBudget the memory limits of all containers together may not exceed this; 0 for no budget;
     *                     at most {@link Bounds#MAX_HOST_MEMORY}
     * @param zone         the time zone of the functions' schedules
     */
    public record Host(long memoryBudget, ZoneId zone) {
        public static final Host DEFAULT = new Host(0, ZoneId.systemDefault());

        public Host {
            if (memoryBudget < 0 || memoryBudget > Bounds.MAX_HOST_MEMORY) {
                throw new IllegalArgumentException("memory must be within 0.." + Units.formatBytes(Bounds.MAX_HOST_MEMORY)
                        + " (was " + memoryBudget + " bytes)");
            }
            Objects.requireNonNull(zone, "zone");
        }
    }
}

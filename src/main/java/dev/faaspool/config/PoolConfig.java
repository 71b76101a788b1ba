package dev.faaspool.config;

import java.time.ZoneId;
import java.util.List;
import java.util.Objects;

/**
 * The validated configuration of one faas-pool: its functions, in the order they were declared, and
 * the host's limits. Names and listen addresses are unique among the functions; their minimums fit
 * in the host's memory budget.
 */
public record PoolConfig(List<FunctionSpec> functions, Host host) {

    public PoolConfig {
        functions = List.copyOf(functions);
        Objects.requireNonNull(host, "host");
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one function");
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
        this(functions, Host.DEFAULT);
    }

    /** This configuration with every function's minimum of warm containers set to {@code min} ({@code --pool-size}). */
    public PoolConfig withMin(int min) {
        return new PoolConfig(functions.stream().map(f -> f.withMin(min)).toList(), host);
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

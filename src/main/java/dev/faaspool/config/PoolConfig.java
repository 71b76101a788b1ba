package dev.faaspool.config;

import java.util.List;

/**
 * The validated configuration of one faas-pool: its functions, in the order they were declared.
 * Names and listen addresses are unique among them.
 */
public record PoolConfig(List<FunctionSpec> functions) {

    public PoolConfig {
        functions = List.copyOf(functions);
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("a pool needs at least one function");
        }
    }

    /** This configuration with every function's minimum of warm containers set to {@code min} ({@code --pool-size}). */
    public PoolConfig withMin(int min) {
        return new PoolConfig(functions.stream().map(f -> f.withMin(min)).toList());
    }
}

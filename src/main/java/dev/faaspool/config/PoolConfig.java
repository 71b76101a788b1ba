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

    /** This configuration with every function's warm size set to {@code warm} (the {@code --pool-size} flag). */
    public PoolConfig withWarm(int warm) {
        return new PoolConfig(functions.stream().map(f -> f.withWarm(warm)).toList());
    }
}

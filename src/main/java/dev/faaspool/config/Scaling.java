package dev.faaspool.config;

import java.util.Locale;

/**
 * How a function's pool is sized above its floors ({@code pool.scaling}; pool-config/README.md, How a pool
 * sizes itself).
 */
public enum Scaling {
    /** From the function's traffic, above {@code min} and the schedules' floors, up to {@code max}. */
    DEMAND,
    /** At {@code min} and the schedules' floors only, whatever the traffic. */
    FIXED;

    /** The spelling of configuration files. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

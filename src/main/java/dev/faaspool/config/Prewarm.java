package dev.faaspool.config;

import java.util.Locale;

/** Whether a function's pauses are learned to warm its containers ahead of the next call ({@code pool.prewarm}). */
public enum Prewarm {
    /**
     * Go to zero in the function's pauses and pre-warm before the next call, once enough pauses are seen
     * (dev.faaspool.pool.ScalingPolicy); sizing from pauses is sizing from demand, so it needs {@link Scaling#DEMAND}.
     */
    LEARNED,
    /** None: after its last request, a function keeps one warm container for {@code idle-ttl} (a keep-alive). */
    OFF;

    /** The spelling of configuration files. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The default: learned where the pool is sized from demand, the only kind that can use it. */
    public static Prewarm defaultFor(Scaling scaling) {
        return scaling == Scaling.DEMAND ? LEARNED : OFF;
    }
}

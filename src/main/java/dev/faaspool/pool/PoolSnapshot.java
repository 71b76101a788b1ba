package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;

/**
 * One function's pool as the views show it ({@code /status}, {@code /metrics}, the status line, the occupancy
 * samples): counted in one pass over its slots, so the numbers of one view belong to one instant.
 *
 * @param starting     containers starting
 * @param warm         containers warm and idle
 * @param busy         containers serving
 * @param waiting      requests waiting for a container
 * @param running      requests its containers run (several per container with concurrency above 1)
 * @param target       ready containers the scaling policy wants now
 * @param targetReason the rule that decided the target
 */
public record PoolSnapshot(FunctionSpec spec, int starting, int warm, int busy, int waiting, int running, int target,
        String targetReason) {

    public String name() {
        return spec.name();
    }

    /** The containers in {@code state} (none are retired in a snapshot). */
    public int count(SlotState state) {
        return switch (state) {
            case STARTING -> starting;
            case WARM -> warm;
            case BUSY -> busy;
            case RETIRED -> 0;
        };
    }
}

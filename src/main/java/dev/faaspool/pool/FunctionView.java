package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import java.util.List;

/**
 * One function's pool as it was at one instant: what the {@link PoolPlan} decides from. Immutable; taken
 * by the owner ({@link FunctionPool#view}) and never updated, so a decision sees one consistent state
 * even while dispatchers take and give back slots.
 *
 * @param key                 the function's key in the pool (its name; a draining older definition has its own)
 * @param spec                its definition now
 * @param generation          the version of the definition new containers are started with
 * @param draining            removed from the configuration: it starts nothing and retires what comes free
 * @param waiting             requests waiting for a slot
 * @param heldTarget          the ready-slot target decided last
 * @param demand              its traffic, at the view's instant
 * @param busyFreesSoonerThanAStart whether a busy slot usually frees before a new container would start
 * @param consecutiveFailures starts that failed in a row
 * @param notBeforeNanos      with failures, no start before this ticker time (the backoff)
 * @param slots               its slots that are not retired
 * @param imageId             the image ID its image reference points at now, null when not known
 */
record FunctionView(String key, FunctionSpec spec, int generation, boolean draining, int waiting, int heldTarget,
        Demand.Snapshot demand, boolean busyFreesSoonerThanAStart, int consecutiveFailures, long notBeforeNanos,
        List<SlotView> slots, String imageId) {

    FunctionView {
        slots = List.copyOf(slots);
    }

    /**
     * One slot at the view's instant.
     *
     * @param oldestAcceptedNanos when the oldest request it runs was accepted; {@link Long#MAX_VALUE} for none
     * @param imageId             the image ID its container was created from, null when not known
     */
    record SlotView(String id, SlotState state, int uses, int generation, long warmSinceNanos,
            long oldestAcceptedNanos, String imageId) {}

    int count(SlotState state) {
        int n = 0;
        for (SlotView s : slots) {
            if (s.state() == state) {
                n++;
            }
        }
        return n;
    }

    /** Slots that are or will be ready: starting and warm, and busy ones in the modes that reuse containers. */
    int available() {
        int n = count(SlotState.STARTING) + count(SlotState.WARM);
        return spec.mode().reusesContainers() ? n + count(SlotState.BUSY) : n;
    }

    /**
     * Whether {@code s} runs an image its function's reference no longer points at (the current
     * definition's; one of an older definition is superseded anyway). Unknown IDs are never stale.
     */
    boolean stale(SlotView s) {
        return imageId != null && s.imageId() != null && !s.imageId().equals(imageId) && s.generation() == generation;
    }

    /** Whether {@code s} is within {@link PoolPlan#recycleAhead} uses of its {@code max-uses}. */
    boolean expiring(SlotView s) {
        return PoolPlan.expiring(spec, s.uses());
    }
}

package dev.faaspool.pool;

/**
 * One thing the {@link PoolPlan} decided, for the owner to do. Each names its function by its key in the
 * pool ({@link FunctionView#key}) and says why, for the log.
 */
sealed interface Decision {
    String function();

    /** Start {@code count} more containers. */
    record Start(String function, int count) implements Decision {}

    /**
     * Retire a slot. The owner re-checks at once what the plan saw (a dispatcher may have taken the idle
     * slot meanwhile, or the late request ended): a decision on a state that moved on is dropped.
     */
    record Retire(String function, String slot, Why why, String detail) implements Decision {}

    /** Starts are wanted but the backoff holds them: decide again after {@code afterNanos}. */
    record Retry(String function, long afterNanos) implements Decision {}

    /** Why a slot is retired. */
    enum Why {
        /** A request it runs is past {@code timeouts.request}: removing the container stops it. */
        TIMED_OUT,
        /** Idle, of an older definition of its function, or of one removed from the configuration. */
        SUPERSEDED,
        /** Idle, close to its {@code max-uses}, and the others make the target without it. */
        RECYCLED,
        /** Idle past its grace, beyond the target. */
        IDLE,
        /** Idle, and another function's waiting requests need its memory within the host's budget. */
        RECLAIMED,
        /**
         * Idle, of the image its function's reference pointed at before (rebuilt, retagged), and its
         * replacements of the new image make the warm count without it.
         */
        IMAGE_CHANGED
    }
}

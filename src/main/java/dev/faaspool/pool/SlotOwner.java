package dev.faaspool.pool;

/** What a {@link FunctionPool} asks of the thread that owns its slot set. */
interface SlotOwner {
    /** Re-size the pools soon: a slot was taken or a request started waiting. */
    void requestReconcile();

    /**
     * Take {@code s} out of its pool for good and remove its container; with a {@code reason} the
     * retirement is unexpected and logged. With {@code synchronous}, return only after the container is gone.
     */
    void retire(FunctionPool fp, Slot s, String reason, boolean synchronous);
}

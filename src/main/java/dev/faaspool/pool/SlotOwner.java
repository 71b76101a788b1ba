package dev.faaspool.pool;

/** What a {@link FunctionPool} asks of the thread that owns its slot set. */
interface SlotOwner {
    /** Re-size the pools soon: a slot was taken or a request started waiting. */
    void requestReconcile();

    /**
     * Take {@code s} out of its pool for good and remove its container; with a {@code reason} the
     * retirement is unexpected and logged. Every request the slot still runs ends as {@code end} (null:
     * lost, for the reason) once the container is gone; a {@link HandlerExit.Cause#LOST} end is refined
     * by the container's own exit (OOM, signal, status). With {@code removed}, run it once the container
     * is gone (on a pool thread).
     */
    void retire(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed);
}

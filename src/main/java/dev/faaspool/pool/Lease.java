package dev.faaspool.pool;

/**
 * A slot a dispatcher holds ({@link SlotState#BUSY}). It is handed back only when the slot did not
 * take the connection ({@link FunctionPool#notTaken}); otherwise the slot's container serves the
 * request and is recycled when it exits.
 *
 * @param cold whether the request had to wait for a slot (none was warm when it asked)
 */
public record Lease(Slot slot, boolean cold) {}

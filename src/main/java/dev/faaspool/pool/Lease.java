package dev.faaspool.pool;

/**
 * A slot a dispatcher holds ({@link SlotState#BUSY}), with its control connection: nobody else reads
 * from or closes that connection until the dispatcher ends the lease with {@link FunctionPool#handedOff}
 * (the handler serves the request; the container is recycled when it exits), {@link FunctionPool#done}
 * (the init took the connection but could not start the handler) or {@link FunctionPool#notTaken}
 * (the slot is retired; the connection may go to another slot).
 *
 * @param cold whether the request waited for a container to start (none was warm when it asked, and the
 *             slot it got is a new one rather than a busy one come free)
 */
public record Lease(Slot slot, boolean cold) {}

package dev.faaspool.pool;

/**
 * One hand-off of a connection to a slot its dispatcher took ({@link FunctionPool#take}), and the
 * request it becomes once the init acknowledges it. The dispatcher ends the lease with
 * {@link FunctionPool#finished} ({@code DONE}), {@link FunctionPool#failed} (the slot broke while it
 * ran) or {@link FunctionPool#notTaken} (the slot did not take it; it is retired, and the connection
 * may go to another slot once its container is gone).
 *
 * @param cold    whether the request waited for a container to start (none was warm when it asked, and the
 *                slot it got is a new one rather than a busy one come free)
 * @param request the request, from the init's {@code ACK} ({@link FunctionPool#taken}) on
 */
public record Lease(Slot slot, boolean cold, Request request) {}

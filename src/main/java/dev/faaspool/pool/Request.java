package dev.faaspool.pool;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One request a slot serves, from the init's {@code ACK} until it has ended; a slot whose function
 * declares {@code concurrency} above 1 serves several at once.
 *
 * <p>A request ends in two steps, each exactly once whoever races for it (the dispatcher seeing
 * {@code DONE}, the owner seeing its container exit or its timeout pass, the pool stopping):
 * {@link #claim} decides how it ended, and {@link #applied} lets one caller act on it (count it, answer
 * its client) once nothing can write to the client any more: at once for a {@code DONE}, after the
 * container's removal otherwise.
 */
public final class Request {
    private final Slot slot;
    private final long acceptedNanos;
    private volatile long takenNanos;
    private final AtomicReference<HandlerExit> claimed = new AtomicReference<>();
    private final AtomicBoolean applied = new AtomicBoolean();
    private final AtomicReference<HeldClient> client = new AtomicReference<>();
    private volatile HandlerExit ended;

    Request(Slot slot, long acceptedNanos) {
        this.slot = slot;
        this.acceptedNanos = acceptedNanos;
    }

    public Slot slot() {
        return slot;
    }

    /** When its connection was accepted (the dispatcher's clock). */
    long acceptedNanos() {
        return acceptedNanos;
    }

    /** When its slot's init took it ({@code ACK}). */
    long takenNanos() {
        return takenNanos;
    }

    void taken(long nanos) {
        takenNanos = nanos;
    }

    /** Decides that it ended as {@code how}; true for the one caller that decided, false for the others. */
    boolean claim(HandlerExit how) {
        return claimed.compareAndSet(null, how);
    }

    /** How it was decided to have ended; null while it runs. */
    HandlerExit claimed() {
        return claimed.get();
    }

    /** True once, for the caller that acts on its end; only after a {@link #claim}. */
    boolean applied() {
        return claimed.get() != null && applied.compareAndSet(false, true);
    }

    /**
     * Keeps this process's copy of its client connection until it ends. When it ended already (its
     * container went away before the hand-off finished), returns the connection for the caller to end
     * with {@link #ended()}; else null.
     */
    HeldClient holdClient(HeldClient c) {
        client.set(c);
        return ended != null ? client.getAndSet(null) : null;
    }

    /**
     * It ended as {@code exit}: returns the held connection for the caller to end, or null when there is
     * none yet, in which case {@link #holdClient} returns it.
     */
    HeldClient endClient(HandlerExit exit) {
        ended = exit;
        return client.getAndSet(null);
    }

    /** How it ended, once applied (always, when {@link #holdClient} returned a connection). */
    HandlerExit ended() {
        return ended;
    }

    @Override
    public String toString() {
        return "request on " + slot;
    }
}

package dev.faaspool.pool;

import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlEndpoint;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One container of a function's pool, and its control connection.
 *
 * <p>State changes only through {@link #transition} and {@link #retire}, atomically, so the launcher,
 * a dispatcher and the exit watcher can race on a slot and exactly one of them wins each change.
 */
public final class Slot {
    private final String id;
    private final String function;
    private final long createdNanos;
    private final AtomicReference<SlotState> state = new AtomicReference<>(SlotState.STARTING);
    private volatile String containerId;
    private volatile ControlEndpoint endpoint;
    private volatile ControlConnection control;
    private volatile SlotChannel channel;
    private boolean controlClosed; // guarded by this
    private final AtomicReference<HeldClient> client = new AtomicReference<>();
    /** How the request it served ended, once known; read when the hand-off finishes after the end. */
    private volatile HandlerExit ended;
    // Written by the thread that holds the slot in its current state, read by the owner's checks.
    private volatile long warmSinceNanos;
    private final java.util.concurrent.atomic.AtomicLong requestAcceptedNanos = new java.util.concurrent.atomic.AtomicLong();
    private volatile long requestTakenNanos;
    private volatile int uses;

    private final int generation;

    Slot(String id, String function, long createdNanos) {
        this(id, function, createdNanos, 0);
    }

    /** @param generation the version of its function's definition it was started with */
    Slot(String id, String function, long createdNanos, int generation) {
        this.id = id;
        this.function = function;
        this.createdNanos = createdNanos;
        this.generation = generation;
    }

    int generation() {
        return generation;
    }

    /** Unique within the pool instance, for example {@code hello-12}. */
    public String id() {
        return id;
    }

    public String function() {
        return function;
    }

    public SlotState state() {
        return state.get();
    }

    long createdNanos() {
        return createdNanos;
    }

    /** The container's id, or null before it was created. */
    public String containerId() {
        return containerId;
    }

    void containerId(String id) {
        this.containerId = id;
    }

    /** The init's control connection; set before the slot becomes {@link SlotState#WARM}. */
    public ControlConnection control() {
        return control;
    }

    void control(ControlConnection c) {
        this.control = c;
    }

    /** The control connection as the dispatcher holds it; null before it took it over. */
    public SlotChannel channel() {
        return channel;
    }

    /**
     * The dispatcher takes over the control connection (its init said hello; the launcher is done with
     * it): from now on, closing it goes through {@code c}, on the dispatcher's event loop. False when
     * the slot's control connection was closed already (it was retired): the dispatcher must not use it.
     */
    public synchronized boolean channel(SlotChannel c) {
        if (controlClosed) {
            return false; // retired meanwhile: the descriptor may already be another file's
        }
        this.channel = c;
        return true;
    }

    ControlEndpoint endpoint() {
        return endpoint;
    }

    void endpoint(ControlEndpoint e) {
        this.endpoint = e;
    }

    /** When the slot last became warm; 0 before its first hello. */
    long warmSinceNanos() {
        return warmSinceNanos;
    }

    void warmSince(long nanos) {
        this.warmSinceNanos = nanos;
    }

    /** When the request it serves now was accepted; 0 when it serves none. */
    long requestAcceptedNanos() {
        return requestAcceptedNanos.get();
    }

    void requestAccepted(long nanos) {
        requestAcceptedNanos.set(nanos);
    }

    /** Ends the request it serves: returns when it was accepted, or 0 when it serves none (any more). */
    long takeRequestAccepted() {
        return requestAcceptedNanos.getAndSet(0);
    }

    /** When the init took the request it serves now (its ACK). */
    long requestTakenNanos() {
        return requestTakenNanos;
    }

    void requestTaken(long nanos) {
        this.requestTakenNanos = nanos;
    }

    /** How many requests it has been handed. */
    int uses() {
        return uses;
    }

    void used() {
        uses++;
    }

    /** Moves {@code from -> to} if the slot is in {@code from}; false if another thread moved it first. */
    boolean transition(SlotState from, SlotState to) {
        return state.compareAndSet(from, to);
    }

    /** Moves the slot to {@link SlotState#RETIRED}; returns the state it left, or RETIRED if it already was. */
    SlotState retire() {
        return state.getAndSet(SlotState.RETIRED);
    }

    /** Closes the control connection (on its event loop once the dispatcher has it) and stops listening. Idempotent. */
    void closeControl() {
        SlotChannel ch;
        synchronized (this) {
            controlClosed = true;
            ch = channel;
            if (ch == null && control != null) {
                control.close();
            }
        }
        if (ch != null) {
            ch.close(); // on its event loop, which owns the descriptor now
        }
        closeEndpoint();
    }

    /**
     * Stops listening, leaving an accepted control connection open: a dispatcher holding the slot may
     * still be reading from it. Idempotent.
     */
    void closeEndpoint() {
        ControlEndpoint e = endpoint;
        if (e != null) {
            e.close();
        }
    }

    /** Removes the slot's socket and directory; only once its container is gone. */
    void removeFiles() {
        ControlEndpoint e = endpoint;
        if (e != null) {
            e.close();
            e.removeFiles();
        }
    }

    /**
     * Keeps this process's copy of the client connection the slot's handler serves, until the request
     * ends ({@link #endClient}). When it ended already (the container exited before the hand-off
     * finished), returns the connection for the caller to end with {@link #ended()}; else null.
     */
    HeldClient holdClient(HeldClient c) {
        client.set(c);
        return ended != null || state() == SlotState.RETIRED ? client.getAndSet(null) : null;
    }

    /**
     * The request ended as {@code exit}: returns the held connection for the caller to end (once,
     * whoever gets it), or null when there is none yet, in which case {@link #holdClient} returns it.
     */
    HeldClient endClient(HandlerExit exit) {
        ended = exit;
        return client.getAndSet(null);
    }

    /** How the last request ended, or a lost end when that is not known. */
    HandlerExit ended() {
        HandlerExit e = ended;
        return e != null ? e : HandlerExit.lost("its container went away during the hand-off");
    }

    /** Whether this process holds a client connection for the slot's handler now. */
    boolean holdsClient() {
        return client.get() != null;
    }

    /** Ready for the next request: no outcome of an earlier one is pending. */
    void clearEnded() {
        ended = null;
    }

    @Override
    public String toString() {
        String c = containerId;
        return "slot " + id + (c == null ? "" : " (container " + c.substring(0, Math.min(12, c.length())) + ")");
    }
}

package dev.faaspool.pool;

import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlEndpoint;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    /** The requests it serves now, from their ACK until their end is applied. */
    private final Set<Request> running = ConcurrentHashMap.newKeySet();
    /** Set once its container is gone: a request taken after that is ended by whoever took it. */
    private volatile boolean removed;
    // Written by the thread that holds the slot in its current state, read by the owner's checks.
    private volatile long warmSinceNanos;
    private volatile int uses;
    /** Connections it may serve at once: the function's concurrency, as far as its init said it can. */
    private volatile int capacity = 1;
    /** Whether its init takes each request's trace context with the descriptor (it said {@code trace}). */
    private volatile boolean takesTrace;
    /** Hand-offs its dispatcher made and has not ended; on the dispatcher's event loop only. */
    private int leases;

    private final int generation;
    /** The image ID its container is created from; null: from its function's image reference. */
    private final String imageId;

    Slot(String id, String function, long createdNanos) {
        this(id, function, createdNanos, 0);
    }

    /** @param generation the version of its function's definition it was started with */
    Slot(String id, String function, long createdNanos, int generation) {
        this(id, function, createdNanos, generation, null);
    }

    /**
     * @param imageId the image ID its container is created from (so that a retag racing the create cannot
     *                give it another image than the one recorded), null to create it from the reference
     */
    Slot(String id, String function, long createdNanos, int generation, String imageId) {
        this.id = id;
        this.function = function;
        this.createdNanos = createdNanos;
        this.generation = generation;
        this.imageId = imageId;
    }

    /** The image ID its container was created from, or null when it was created from the image reference. */
    public String imageId() {
        return imageId;
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

    /** The requests it serves now (a live view). */
    Set<Request> running() {
        return running;
    }

    boolean removed() {
        return removed;
    }

    void markRemoved() {
        removed = true;
    }

    /** How many connections it may serve at once (1 unless its function and its init both allow more). */
    public int capacity() {
        return capacity;
    }

    /** Whether its init said {@code trace} in its hello: it is sent each request's trace context. */
    public boolean takesTrace() {
        return takesTrace;
    }

    void takesTrace(boolean b) {
        takesTrace = b;
    }

    void capacity(int n) {
        capacity = n;
    }

    /** Dispatcher's event loop only: hand-offs not yet ended. */
    int leases() {
        return leases;
    }

    void leased() {
        leases++;
    }

    void released() {
        leases--;
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

    @Override
    public String toString() {
        String c = containerId;
        return "slot " + id + (c == null ? "" : " (container " + c.substring(0, Math.min(12, c.length())) + ")");
    }
}

package dev.faaspool.pool;

import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlEndpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
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
    private final AtomicReference<SocketChannel> client = new AtomicReference<>();
    // Written by the thread that holds the slot in its current state, read by the owner's checks.
    private volatile long warmSinceNanos;
    private volatile long requestAcceptedNanos;
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
        return requestAcceptedNanos;
    }

    void requestAccepted(long nanos) {
        this.requestAcceptedNanos = nanos;
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

    /** Closes the control connection and endpoint (socket and directory). Idempotent. */
    void closeControl() {
        ControlConnection c = control;
        if (c != null) {
            c.close();
        }
        closeEndpoint();
    }

    /**
     * Closes the listening socket and removes its directory, leaving an accepted control connection
     * open: a dispatcher holding the slot may still be reading from it. Idempotent.
     */
    void closeEndpoint() {
        ControlEndpoint e = endpoint;
        if (e != null) {
            e.close();
        }
    }

    /**
     * Keeps this process's copy of the client connection the slot's handler serves, until the slot
     * retires. Holding it means the handler's own close is never the last one: it cannot reset the
     * connection by closing with the request unread, as handlers that answer without reading do.
     */
    void holdClient(SocketChannel c) {
        client.set(c);
        if (state() == SlotState.RETIRED) {
            releaseClient(); // the container exited before the hand-off finished
        }
    }

    /**
     * Ends the held client connection gracefully: reads and drops what the handler left unread, so
     * that the close sends FIN rather than RST, then closes. Never blocks. Idempotent.
     */
    void releaseClient() {
        SocketChannel c = client.getAndSet(null);
        if (c == null) {
            return;
        }
        try (c) {
            c.configureBlocking(false);
            ByteBuffer sink = ByteBuffer.allocate(4096);
            for (int i = 0; i < 16 && c.read(sink) > 0; i++) {
                sink.clear();
            }
        } catch (IOException ignored) {
            // The client is gone already.
        }
    }

    @Override
    public String toString() {
        String c = containerId;
        return "slot " + id + (c == null ? "" : " (container " + c.substring(0, Math.min(12, c.length())) + ")");
    }
}

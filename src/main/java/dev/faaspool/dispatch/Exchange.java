package dev.faaspool.dispatch;

import dev.faaspool.pool.Lease;
import dev.faaspool.trace.RequestSpan;
import dev.faaspool.trace.TraceParent;

/**
 * One client connection of a function, from its accept until a handler holds it or faas-pool has
 * answered or dropped it. Confined to the function's event loop; this process owns {@link #fd} until
 * then.
 */
final class Exchange {
    enum Stage {
        /** Accepted; nothing received yet: no container is touched for it. */
        IDLE,
        /** Its first bytes are there; it waits for a warm slot. */
        QUEUED,
        /** Its descriptor went to a slot, whose answer is awaited. */
        HANDING,
        /** A handler holds it, or faas-pool answered or dropped it. */
        ENDED
    }

    final int fd;
    final long acceptedNanos;
    Stage stage = Stage.IDLE;
    /** When it was given a slot, for the queue latency. */
    long leasedNanos;
    /** Whether it waited for a slot (a slot new since then makes it a cold request). */
    boolean waited;
    /** Hand-offs tried. */
    int attempts;
    EventLoop.Timer timer;
    /** The latest hand-off's lease: which slot it went to last, warm or cold (null before any). */
    Lease lease;
    /** Whether an init acknowledged it, at {@link #ackedNanos}. */
    boolean acked;
    long ackedNanos;
    /** The client's address, taken at accept only while the request log is on; null otherwise. */
    String client;
    /** When it was last queued for a slot. */
    long queuedNanos;
    /** Its span while tracing is on and it was handed off (null otherwise, and once ended). */
    RequestSpan span;
    /** The {@code traceparent} of its request head, once {@link #headRead}; null when it has none. */
    TraceParent parent;
    boolean headRead;

    Exchange(int fd, long acceptedNanos) {
        this.fd = fd;
        this.acceptedNanos = acceptedNanos;
    }

    void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }
}

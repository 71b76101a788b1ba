package dev.faaspool.dispatch;

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

package dev.faaspool.dispatch;

/** Where the HTTP front listener gives a connection whose head named a function: its dispatcher. */
public interface RouteTarget {
    /**
     * Takes the connection {@code fd}, accepted at {@code acceptedNanos} on the loops' monotonic clock,
     * its request head there and unread. From any thread; the target owns {@code fd} from now on.
     */
    void routed(int fd, long acceptedNanos);
}

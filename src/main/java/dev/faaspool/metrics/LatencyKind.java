package dev.faaspool.metrics;

/** What a latency measures. Values are recorded in microseconds. */
public enum LatencyKind {
    /** Accept to descriptor owned by the init, when the request did not wait for a container start. */
    WARM("warm"),
    /** Accept to descriptor owned by the init, when the request waited for a container to start. */
    COLD("cold"),
    /** Container create to the init's hello. */
    START("start"),
    /** Accept to the end of the request: the handler's container exited (oneshot) or it said DONE. */
    SERVICE("service"),
    /** Accept to a slot taken for the request: zero-ish when one was warm, a container start when not. */
    QUEUE("queue");

    private final String tag;

    LatencyKind(String tag) {
        this.tag = tag;
    }

    /** The name used in log tags and reports. */
    public String tag() {
        return tag;
    }
}

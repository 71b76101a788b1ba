package dev.faaspool.log;

import java.time.Instant;

/**
 * Where the dispatcher, and a front router, hand the record of each request once its outcome is known.
 * Called on the dispatch event loops: an implementation must never block, take a lock that a slow
 * writer holds, or throw. Whoever holds a sink holds null instead when the request log is off, so that
 * the request path costs one null check.
 */
public interface RequestSink {
    /** The wall-clock time to stamp a record with (the sink's clock, so that tests can fix it). */
    Instant now();

    /** Takes {@code r}; returns at once (a record that cannot be queued is dropped and counted). */
    void record(RequestRecord r);
}

package dev.faaspool.metrics;

import java.util.concurrent.atomic.LongAdder;

/** What the HTTP front listener did with the connections it accepted, counted since start. */
public final class RouterCounters {
    /** Given to the function their head named. */
    public final LongAdder routed = new LongAdder();
    /** Answered 404: the head names no function (path prefix or host). */
    public final LongAdder notFound = new LongAdder();
    /** Answered 400: not an HTTP/1 request head, or one larger than the limit or in too many pieces. */
    public final LongAdder badRequest = new LongAdder();
    /** Answered 408: the head was not complete within the head timeout. */
    public final LongAdder headTimeout = new LongAdder();
    /** Answered 503 at once: as many connections were waiting for their heads as the listener admits. */
    public final LongAdder overflow = new LongAdder();
    /** Closed or reset by the client before its head was complete; dropped. */
    public final LongAdder gone = new LongAdder();
}

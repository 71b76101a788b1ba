package dev.faaspool.metrics;

import java.util.concurrent.atomic.LongAdder;

/** What happened to one function's requests, counted since start. */
public final class RequestCounters {
    /** Handed to a slot that was warm when the request came. */
    public final LongAdder warm = new LongAdder();
    /** Handed to a slot the request had to wait for. */
    public final LongAdder cold = new LongAdder();
    /** Answered 503: no slot became warm within the acquire timeout, or the pool was overloaded. */
    public final LongAdder rejected = new LongAdder();
    /** Answered 502: the init took the connection but could not start the handler. */
    public final LongAdder failed = new LongAdder();
    /** Answered 502 by faas-pool: the handler died or ended before writing a byte (see {@code ServedClient}). */
    public final LongAdder handlerFailed = new LongAdder();
    /** Answered 504 by faas-pool: the handler wrote nothing within the request timeout. */
    public final LongAdder timedOut = new LongAdder();
    /** Answered 503 at once: the function had as many connections (or waiting requests) as it admits. */
    public final LongAdder overflow = new LongAdder();
    /** Answered 408: the client sent nothing within the first-byte timeout; no container was touched. */
    public final LongAdder firstByteTimeouts = new LongAdder();
    /** Closed or reset by the client before faas-pool gave them to a container; dropped, no container touched. */
    public final LongAdder gone = new LongAdder();
    /** Hand-offs a slot did not take, after which the connection went to another slot. */
    public final LongAdder redispatched = new LongAdder();
}

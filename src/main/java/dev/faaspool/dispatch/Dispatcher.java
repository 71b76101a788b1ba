package dev.faaspool.dispatch;

import dev.faaspool.log.Outcome;
import dev.faaspool.log.RequestRecord;
import dev.faaspool.log.RequestSink;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.LatencyKind;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.pool.Lease;
import dev.faaspool.trace.RequestSpan;
import dev.faaspool.trace.RequestTracing;
import dev.faaspool.trace.TraceParent;
import java.lang.foreign.MemorySegment;

/**
 * What one function's requests are answered by faas-pool itself, and what their hand-offs took: the
 * HTTP side of dispatching. The slot protocol lives in {@link ControlChannel}, the connections' course
 * in {@link FunctionDispatch}; this class writes answers, closes connections gracefully and records
 * latencies. Loop thread only.
 *
 * <p>An answer is small and goes to a connection nobody else has written to, so one non-blocking send
 * takes it whole. The connection is then closed gracefully, without blocking the loop: output shut
 * down (FIN), and what the client still sends read and dropped until it closes or {@link #LINGER_NANOS}
 * passes, because closing with unread input would reset the connection and could destroy the answer
 * before the client reads it (nginx's {@code lingering_close}).
 *
 * <p>Each outcome of a request passes here (its answer, its drop, its end in {@link ServedClient}), and
 * goes to the request log when there is one ({@link #record}); without one, what that costs is a null
 * check.
 */
final class Dispatcher {
    static final long LINGER_NANOS = 200_000_000L;
    /** How much of a request head is read for its {@code traceparent}: as much as the HTTP front listener reads. */
    static final int HEAD_PEEK = HttpRouter.HEAD_LIMIT;
    /** Connections lingering at once, per loop user; beyond, a connection is closed at once. */
    private static final int MAX_LINGERING = 16_384;
    private static final int DRAIN_LIMIT = 64 * 1024;

    private final String function;
    private final EventLoop loop;
    private final FunctionLatency latency;
    private final RequestCounters counters;
    /** The request log; null when it is off. */
    private final RequestSink requests;
    /** Request tracing; null when it is off. */
    private final RequestTracing tracing;
    /** The function's mode, as its configuration names it (a span's attribute). */
    private final String mode;
    private int lingering;

    /** As {@link #Dispatcher(String, EventLoop, FunctionLatency, RequestCounters, RequestSink, RequestTracing, String)}, untraced. */
    Dispatcher(String function, EventLoop loop, FunctionLatency latency, RequestCounters counters,
            RequestSink requests) {
        this(function, loop, latency, counters, requests, null, null);
    }

    /**
     * @param requests where each request's record goes, or null when the request log is off
     * @param tracing  where each request's span goes, or null when tracing is off
     * @param mode     the function's mode, as its configuration names it
     */
    Dispatcher(String function, EventLoop loop, FunctionLatency latency, RequestCounters counters,
            RequestSink requests, RequestTracing tracing, String mode) {
        this.function = function;
        this.loop = loop;
        this.latency = latency;
        this.counters = counters;
        this.requests = requests;
        this.tracing = tracing;
        this.mode = mode;
    }

    String function() {
        return function;
    }

    RequestCounters counters() {
        return counters;
    }

    /** {@code x} was accepted: with the request log on, its client's address is taken while it surely has one. */
    void accepted(Exchange x) {
        if (requests != null) {
            x.client = PeerAddress.of(x.fd);
        }
    }

    /**
     * {@code x} goes to {@code lease}'s slot now: its span (begun at its first hand-off) records it, and the
     * trace context to send with the descriptor is returned: this span's when tracing is on, else the
     * request's own {@code traceparent}; null when the slot's init does not take one ({@code takesTrace})
     * or there is none. Without tracing, a slot that does not take trace context costs nothing here.
     */
    String handingOff(Exchange x, Lease lease, boolean takesTrace) {
        if (tracing == null) {
            TraceParent p = takesTrace ? traceParent(x) : null;
            return p == null ? null : p.header();
        }
        if (x.span == null) {
            x.span = tracing.begin(function, mode, x.acceptedNanos, traceParent(x));
            if (x.waited) {
                x.span.queued(x.queuedNanos);
            }
        }
        x.span.handedOff(x.leasedNanos, lease.slot().id(), lease.cold(), x.attempts);
        return takesTrace ? x.span.traceparent() : null;
    }

    /** The handler of {@code x} runs. */
    void running(Exchange x) {
        if (x.span != null) {
            x.span.running(loop.now());
        }
    }

    /**
     * The {@code traceparent} header of {@code x}'s request, read once from the bytes there (a peek: its
     * handler reads them all); null when there is none, or none that parses.
     */
    private TraceParent traceParent(Exchange x) {
        if (!x.headRead) {
            x.headRead = true;
            x.parent = traceParent(x.fd);
        }
        return x.parent;
    }

    /** The {@code traceparent} of the request head there is on {@code fd} now (a peek), or null. */
    private TraceParent traceParent(int fd) {
        MemorySegment buf = loop.buffer();
        long n = Native.peek(fd, buf, HEAD_PEEK);
        return n > 0 ? TraceParent.find(buf, n) : null;
    }

    /** An init took {@code x}, handed off on {@code lease}, at {@code now}: it owns the descriptor. */
    void taken(Exchange x, Lease lease, long now) {
        x.acked = true;
        x.ackedNanos = now;
        if (x.span != null) {
            x.span.acked(now);
        }
        boolean cold = lease.cold();
        latency.record(cold ? LatencyKind.COLD : LatencyKind.WARM, now - x.acceptedNanos);
        latency.record(LatencyKind.QUEUE, x.leasedNanos - x.acceptedNanos);
        (cold ? counters.cold : counters.warm).increment();
    }

    /** 503 with Retry-After: no container could take the request (in time, or at all). */
    void unavailable(Exchange x, String why) {
        counters.rejected.increment();
        answer(x, Outcome.UNAVAILABLE, HttpErrorResponse.unavailable(why, 1));
    }

    /** 503 with Retry-After: the function has as many requests waiting as it admits. */
    void overloaded(Exchange x, String why) {
        counters.overflow.increment();
        answer(x, Outcome.OVERLOADED, HttpErrorResponse.unavailable(why, 1));
    }

    /** 503 with Retry-After, at its accept (no {@link Exchange} yet): the function has all the connections it admits. */
    void overloaded(int fd, String why) {
        overloaded(fd, loop.now(), why);
    }

    /** As {@link #overloaded(int, String)}, for a connection accepted at {@code acceptedNanos}. */
    void overloaded(int fd, long acceptedNanos, String why) {
        counters.overflow.increment();
        if (tracing != null) {
            tracing.begin(function, mode, acceptedNanos, traceParent(fd))
                    .end(loop.now(), Outcome.OVERLOADED.word(), Outcome.OVERLOADED.status(), why);
        }
        if (requests != null) {
            requests.record(RequestRecord.answered(requests.now(), function, PeerAddress.of(fd),
                    loop.now() - acceptedNanos, Outcome.OVERLOADED));
        }
        answer(fd, HttpErrorResponse.unavailable(why, 1));
    }

    /** 408: the client sent nothing within the first-byte timeout. */
    void requestTimeout(Exchange x, long millis) {
        counters.firstByteTimeouts.increment();
        answer(x, Outcome.FIRST_BYTE_TIMEOUT, HttpErrorResponse.requestTimeout("no request within " + millis + " ms"));
    }

    /** 502: the init took the request but could not start its handler, or a container consumed it unacknowledged. */
    void badGateway(Exchange x, String why) {
        counters.failed.increment();
        answer(x, Outcome.BAD_GATEWAY, HttpErrorResponse.badGateway(why));
    }

    /** The client of {@code x} went away before a container had its request; the caller closes it. */
    void dropped(Exchange x) {
        counters.gone.increment();
        record(x, Outcome.DROPPED);
    }

    private void answer(Exchange x, Outcome outcome, HttpErrorResponse r) {
        record(x, outcome, r.message());
        answer(x.fd, r);
    }

    /** As {@link #record(Exchange, Outcome, String)}, for an outcome that needs no explanation. */
    void record(Exchange x, Outcome outcome) {
        record(x, outcome, null);
    }

    /**
     * Hands the record of {@code x}, ended as {@code outcome} now, to the request log, if there is one.
     * Before its descriptor is closed: without an address from its accept, it is asked for now. With
     * tracing on, its span ends here ({@code why}: what faas-pool answered, or null), begun now if it never
     * went to a slot.
     */
    void record(Exchange x, Outcome outcome, String why) {
        if (tracing != null) {
            RequestSpan span = x.span != null ? x.span : tracing.begin(function, mode, x.acceptedNanos, traceParent(x));
            x.span = null;
            span.end(loop.now(), outcome.word(), outcome.status(), why);
        }
        if (requests == null) {
            return;
        }
        Lease l = x.lease;
        String client = x.client != null ? x.client : PeerAddress.of(x.fd);
        RequestRecord.Start start = !x.acked ? null : l.cold() ? RequestRecord.Start.COLD : RequestRecord.Start.WARM;
        requests.record(new RequestRecord(requests.now(), function, client, l == null ? null : l.slot().id(), start,
                x.acked ? x.ackedNanos - x.acceptedNanos : RequestRecord.NONE, loop.now() - x.acceptedNanos, outcome));
    }

    /** Writes {@code r} to the connection {@code fd} (this process's to close) and closes it gracefully. */
    void answer(int fd, HttpErrorResponse r) {
        byte[] b = r.bytes();
        MemorySegment buf = loop.buffer();
        MemorySegment.copy(b, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b.length);
        Native.send(fd, buf, b.length); // a fresh connection's send buffer takes a few hundred bytes whole
        closeGracefully(fd);
    }

    /**
     * Closes this process's copy of {@code fd} without resetting the connection: shuts output down, then
     * reads and drops what arrives until EOF, an error, or the linger time. Never blocks.
     */
    void closeGracefully(int fd) {
        Native.shutdownOutput(fd);
        if (drain(fd) || lingering >= MAX_LINGERING) {
            Native.close(fd);
            return;
        }
        Lingering l = new Lingering(fd);
        if (!loop.register(fd, Native.EPOLLIN | Native.EPOLLRDHUP, l)) {
            Native.close(fd);
            return;
        }
        lingering++;
        l.timer = loop.schedule(loop.now() + LINGER_NANOS, l::end);
    }

    /** A connection answered and shut down, read until the client closes it or the linger time ends. */
    private final class Lingering implements EventLoop.Handler {
        private final int fd;
        EventLoop.Timer timer;
        private boolean ended;

        Lingering(int fd) {
            this.fd = fd;
        }

        @Override
        public void ready(int events) {
            if (drain(fd)) {
                end();
            }
        }

        void end() {
            if (ended) {
                return;
            }
            ended = true;
            timer.cancel();
            loop.unregister(fd);
            Native.close(fd);
            lingering--;
        }
    }

    /**
     * Closes this process's copy of a connection a handler answered: reads and drops what the handler
     * left unread (so the close sends FIN rather than RST) and closes. Never blocks.
     */
    void release(int fd) {
        drain(fd);
        Native.close(fd);
    }

    /** Reads what is there; true when the peer is done (EOF, error) or enough was read. */
    private boolean drain(int fd) {
        MemorySegment buf = loop.buffer();
        int total = 0;
        while (total < DRAIN_LIMIT) {
            long n = Native.receive(fd, buf, buf.byteSize());
            if (n == -Native.EAGAIN) {
                return false;
            }
            if (n <= 0) {
                return true;
            }
            total += (int) n;
        }
        return true;
    }
}

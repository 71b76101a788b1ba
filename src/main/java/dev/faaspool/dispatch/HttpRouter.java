package dev.faaspool.dispatch;

import dev.faaspool.config.Defaults;
import dev.faaspool.log.Outcome;
import dev.faaspool.log.RequestRecord;
import dev.faaspool.log.RequestSink;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.metrics.RouterCounters;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front listener: one address for many functions. It accepts a connection, looks at its request
 * head with {@code MSG_PEEK} (nothing is consumed: the handler reads the whole request, body and all),
 * picks the function by {@link Routes}, and gives the descriptor to that function's dispatcher, which
 * serves it as if its own listener had accepted it. A head that names no function is answered 404, one
 * that is not HTTP/1 or larger than {@link #HEAD_LIMIT} 400, one not complete within the head timeout
 * 408; a client gone before its head is dropped. Loop thread only, but for {@link #routes}. What it
 * answers or drops itself goes to the request log with no function ({@code function=-}); a routed
 * connection's line is its function's dispatcher's.
 *
 * <h2>Waiting for the rest of a head without reading it</h2>
 * A head usually comes whole with the connection. When it does not, the connection is watched
 * edge-triggered ({@code EPOLLET}): its unread bytes would keep a level-triggered descriptor ready for
 * ever, while an edge fires once per arrival. Each arrival costs one peek of at most {@link #HEAD_LIMIT}
 * bytes; a head that needs more than {@link #MAX_PEEKS} of them is answered 400, so a client that
 * trickles its head a byte per segment costs a bounded amount of copying, not its square.
 */
public final class HttpRouter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpRouter.class);
    /** The most a request head may take, line ends included (nginx's large_client_header_buffers is 8k too). */
    public static final int HEAD_LIMIT = 8 * 1024;
    /** Peeks a head may take; legitimate clients need one to three. */
    static final int MAX_PEEKS = 32;
    /** Connections waiting for their heads at once; beyond, 503 at once. */
    public static final int MAX_WAITING = 16_384;
    private static final int EPOLLET = 1 << 31;
    private static final int ACCEPTS_PER_WAKEUP = 64;

    private final ServerSocketChannel server;
    private final int listenFd;
    private final EventLoop loop;
    private final Duration headTimeout;
    private final RouterCounters counters;
    private final Dispatcher answers;
    /** The request log; null when it is off. */
    private final RequestSink requests;
    private final byte[] head = new byte[HEAD_LIMIT];
    private final Set<Waiting> waiting = new HashSet<>();
    private volatile Routes<? extends RouteTarget> routes = new Routes<>(Map.of(), Map.of());
    private boolean closed;

    private HttpRouter(ServerSocketChannel server, EventLoop loop, Duration headTimeout, RouterCounters counters,
            RequestSink requests) {
        this.server = server;
        this.listenFd = SocketDescriptors.fdVal(server);
        this.loop = loop;
        this.headTimeout = headTimeout;
        this.counters = counters;
        this.requests = requests;
        // Its answers are the router's own: counted in RouterCounters, never as a function's requests, and
        // recorded here, without a function.
        this.answers = new Dispatcher("http", loop, null, new RequestCounters(), null);
    }

    /**
     * Binds {@code address}; connections wait in the backlog until {@link #start()}.
     *
     * @param requests the request log, or null when it is off
     * @throws IOException naming the address when it cannot be bound
     */
    public static HttpRouter bind(InetSocketAddress address, EventLoop loop, Duration headTimeout,
            RouterCounters counters, RequestSink requests) throws IOException {
        ServerSocketChannel ch;
        try {
            ch = FunctionDispatch.listen("http", address);
        } catch (IOException e) {
            throw new IOException("the HTTP front listener cannot listen on " + Defaults.format(address) + ": "
                    + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
        }
        return new HttpRouter(ch, loop, headTimeout, counters, requests);
    }

    /** Routes by {@code next} from now on (a reload); from any thread. Heads already routed keep their function. */
    public void routes(Routes<? extends RouteTarget> next) {
        routes = Objects.requireNonNull(next);
    }

    /** Where it listens (the bound port, when the address said 0). */
    public InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    public void start() {
        loop.execute(() -> loop.register(listenFd, Native.EPOLLIN, events -> accept()));
    }

    /** A connection whose head is not complete yet. */
    private final class Waiting implements EventLoop.Handler {
        final int fd;
        final long acceptedNanos;
        EventLoop.Timer timer;
        int peeks;

        Waiting(int fd, long acceptedNanos) {
            this.fd = fd;
            this.acceptedNanos = acceptedNanos;
        }

        @Override
        public void ready(int events) {
            look(this, (events & (Native.EPOLLRDHUP | Native.EPOLLHUP | Native.EPOLLERR)) != 0);
        }
    }

    private void accept() {
        for (int i = 0; i < ACCEPTS_PER_WAKEUP && !closed; i++) {
            int fd = Native.accept(listenFd);
            if (fd < 0) {
                if (fd != -Native.EAGAIN && fd != -Native.EINTR && fd != -Native.ECONNABORTED) {
                    log.warn("http: accept failed: errno {}", -fd);
                }
                return;
            }
            if (waiting.size() >= MAX_WAITING) {
                counters.overflow.increment();
                record(fd, loop.now(), Outcome.OVERLOADED);
                answers.answer(fd, HttpErrorResponse.unavailable(waiting.size()
                        + " connections are waiting for their request heads, as many as faas-pool admits", 1));
                continue;
            }
            look(new Waiting(fd, loop.now()), false);
        }
    }

    /**
     * Peeks at {@code w}'s bytes and routes, answers, drops, or (first time) starts waiting for more.
     * {@code hungUp}: the client will send nothing more (half-closed, reset).
     */
    private void look(Waiting w, boolean hungUp) {
        MemorySegment buf = loop.buffer();
        long n = Native.peek(w.fd, buf, HEAD_LIMIT);
        if (n == -Native.EAGAIN && !hungUp) {
            wait(w);
            return;
        }
        if (n <= 0) {
            stopWaiting(w);
            counters.gone.increment();
            record(w.fd, w.acceptedNanos, Outcome.DROPPED);
            Native.close(w.fd); // closed or reset before sending a head
            return;
        }
        w.peeks++;
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, head, 0, (int) n);
        HttpHead.Parse p = HttpHead.parse(head, (int) n, HEAD_LIMIT);
        switch (p.status()) {
            case COMPLETE -> route(w, p.head());
            case INCOMPLETE -> {
                if (hungUp) {
                    badRequest(w, "the connection ended inside the request head");
                } else if (w.peeks >= MAX_PEEKS) {
                    badRequest(w, "the request head came in more than " + MAX_PEEKS + " pieces");
                } else {
                    wait(w);
                }
            }
            case NOT_HTTP, TOO_LARGE -> badRequest(w, p.problem());
        }
    }

    private void wait(Waiting w) {
        if (w.timer != null) {
            return; // already watched: the next arrival fires the edge
        }
        if (!loop.register(w.fd, Native.EPOLLIN | Native.EPOLLRDHUP | EPOLLET, w)) {
            counters.gone.increment();
            Native.close(w.fd);
            return;
        }
        waiting.add(w);
        w.timer = loop.schedule(w.acceptedNanos + headTimeout.toNanos(), () -> headTimeout(w));
    }

    private void stopWaiting(Waiting w) {
        if (w.timer != null) {
            w.timer.cancel();
            loop.unregister(w.fd);
            waiting.remove(w);
        }
    }

    private void headTimeout(Waiting w) {
        if (!waiting.contains(w)) {
            return;
        }
        stopWaiting(w);
        counters.headTimeout.increment();
        record(w.fd, w.acceptedNanos, Outcome.FIRST_BYTE_TIMEOUT);
        answers.answer(w.fd, HttpErrorResponse.requestTimeout("no complete request head within "
                + headTimeout.toMillis() + " ms"));
    }

    private void badRequest(Waiting w, String why) {
        stopWaiting(w);
        counters.badRequest.increment();
        record(w.fd, w.acceptedNanos, Outcome.BAD_REQUEST);
        log.debug("http: answered 400: {}", why);
        answers.answer(w.fd, HttpErrorResponse.badRequest(why));
    }

    private void route(Waiting w, HttpHead h) {
        stopWaiting(w);
        RouteTarget target = routes.route(h);
        if (target == null) {
            counters.notFound.increment();
            record(w.fd, w.acceptedNanos, Outcome.NOT_FOUND);
            log.debug("http: answered 404 for {} {} (host '{}')", h.method(), h.path(), h.host());
            answers.answer(w.fd, HttpErrorResponse.notFound("no function for " + printable(h.path())
                    + (h.host().isEmpty() ? "" : " on host " + printable(h.host()))
                    + "; functions are at " + Routes.PREFIX + "<name>"));
            return;
        }
        counters.routed.increment();
        target.routed(w.fd, w.acceptedNanos);
    }

    /** Gives the request log the record of {@code fd}, accepted then, ended as {@code outcome}; before it closes. */
    private void record(int fd, long acceptedNanos, Outcome outcome) {
        if (requests != null) {
            requests.record(RequestRecord.answered(requests.now(), null, PeerAddress.of(fd), loop.now() - acceptedNanos,
                    outcome));
        }
    }

    /** A client's text in our answer: bounded, visible ASCII only (it is echoed back in a response body). */
    private static String printable(String s) {
        String t = s.length() > 100 ? s.substring(0, 100) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Stops accepting; the connections waiting for their heads are still routed (a reload moved the address). */
    public void stopAccepting() {
        loop.execute(() -> {
            if (closed) {
                return;
            }
            closed = true;
            loop.unregister(listenFd);
            try {
                server.close();
            } catch (IOException ignored) {
                // Nothing more to release.
            }
        });
    }

    /** Stops accepting and closes the connections still waiting for their heads (faas-pool is stopping). */
    @Override
    public void close() {
        stopAccepting();
        loop.execute(() -> {
            for (Waiting w : Set.copyOf(waiting)) {
                stopWaiting(w);
                counters.gone.increment();
                Native.close(w.fd);
            }
        });
    }
}

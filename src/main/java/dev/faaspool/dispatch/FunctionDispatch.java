package dev.faaspool.dispatch;

import dev.faaspool.config.Defaults;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlMessage;
import dev.faaspool.log.RequestSink;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.Lease;
import dev.faaspool.pool.Slot;
import dev.faaspool.pool.SlotState;
import dev.faaspool.trace.RequestTracing;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayDeque;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One function's connections on one {@link EventLoop}: accept, wait for the first bytes, admit, match
 * with a warm slot, hand off, and follow up. Everything here runs on the loop's thread; other threads
 * reach it through {@link #warm} (a new warm slot) and the pool's callbacks, which post to the loop.
 *
 * <h2>A connection's course</h2>
 * <ol>
 *   <li><b>Accepted</b> (non-blocking, many per wake-up). Beyond {@code admission.connections} open
 *       connections of this function, it is answered 503 at once.
 *   <li><b>Idle</b> until its first bytes arrive ({@code MSG_PEEK}: nothing is consumed; the handler reads
 *       the whole request). No container is touched for an idle connection: one that sends nothing
 *       within {@code timeouts.first-byte} is answered 408; one closed or reset first is dropped.
 *   <li><b>Queued</b> for a warm slot, first come first served, at most {@code admission.queued} (beyond:
 *       503), until {@code timeouts.acquire} after its accept (then 503).
 *   <li><b>Handed off</b> to the slot's init ({@link ControlChannel}). A clean ACK means the init owns
 *       it. Anything else means its container may hold it: once that container is removed, the
 *       connection is queued again, at most {@link #MAX_REDISPATCH} times and within the acquire
 *       deadline, and only if its request is still unread (a container that read it unacknowledged
 *       leaves the client a 502) and its client still there.
 *   <li><b>Served</b>: the slot holds it ({@link ServedClient}) until the request ends.
 * </ol>
 * Slots with room are taken last-in first-out (under light load the same few stay in use); a slot never
 * has room while a request waits. A slot has room when it serves fewer connections than its capacity
 * ({@code concurrency}, 1 unless its function and its init say more) and no hand-off to it is in progress.
 */
public final class FunctionDispatch implements FunctionPool.WarmSink, RouteTarget, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FunctionDispatch.class);
    /** Hand-offs a connection may be refused before it is answered 503. */
    static final int MAX_REDISPATCH = 2;
    private static final int ACCEPTS_PER_WAKEUP = 64;
    /** Batches taken from the backlog when the listener closes: far beyond any backlog the kernel keeps (4096). */
    private static final int MAX_BACKLOG_ROUNDS = 256;
    private static final int BACKLOG = 4096;

    private final FunctionPool pool;
    private final EventLoop loop;
    private final Dispatcher answers;
    private ServerSocketChannel server;
    private int listenFd;
    /** Slots with room, as their control channels, most recent first; each listed at most once. */
    private final ArrayDeque<ControlChannel> idle = new ArrayDeque<>();
    private final ArrayDeque<Exchange> queued = new ArrayDeque<>();
    /** Accepted connections still waiting for their first bytes. */
    private final java.util.Set<Exchange> waitingForBytes = new java.util.HashSet<>();
    /** Connections accepted and not yet served, answered or dropped: what admission bounds. */
    private int open;
    private boolean closed;

    private FunctionDispatch(FunctionPool pool, EventLoop loop, Dispatcher answers, ServerSocketChannel server) {
        this.pool = pool;
        this.loop = loop;
        this.answers = answers;
        this.server = server;
        this.listenFd = server == null ? -1 : SocketDescriptors.fdVal(server);
    }

    /**
     * Binds the function's listen address; connections wait in the backlog until {@link #start()}. A null
     * {@code address}: the function has no listener of its own and is reached through the HTTP front
     * listener only ({@link #routed}).
     *
     * @param requests the request log, or null when it is off
     *
     * @throws IOException naming the address when it cannot be bound (in use, not local)
     */
    public static FunctionDispatch bind(InetSocketAddress address, FunctionPool pool, EventLoop loop,
            FunctionLatency latency, RequestCounters counters, RequestSink requests) throws IOException {
        return bind(address, pool, loop, latency, counters, requests, null);
    }

    /**
     * As {@link #bind(InetSocketAddress, FunctionPool, EventLoop, FunctionLatency, RequestCounters, RequestSink)},
     * with each request's span going to {@code tracing} (null: tracing is off).
     */
    public static FunctionDispatch bind(InetSocketAddress address, FunctionPool pool, EventLoop loop,
            FunctionLatency latency, RequestCounters counters, RequestSink requests, RequestTracing tracing)
            throws IOException {
        ServerSocketChannel ch = address == null ? null : listen(pool.spec().name(), address);
        return new FunctionDispatch(pool, loop, new Dispatcher(pool.spec().name(), loop, latency, counters, requests,
                tracing, pool.spec().mode().configName()), ch);
    }

    /**
     * A listening socket for function {@code name} on {@code address}, non-blocking.
     *
     * @throws IOException naming the address when it cannot be bound (in use, not local)
     */
    public static ServerSocketChannel listen(String name, InetSocketAddress address) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(address, BACKLOG);
            ch.configureBlocking(false);
            return ch;
        } catch (IOException e) {
            ch.close();
            throw new IOException("function '" + name + "' cannot listen on " + Defaults.format(address) + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Accepts on {@code next} from now on (the function's address changed; null: no listener of its own
     * any more); the old socket is closed, and what it accepted already is served.
     */
    public void listenOn(ServerSocketChannel next) {
        loop.execute(() -> {
            ServerSocketChannel old = server;
            if (!closed) {
                loop.unregister(listenFd);
            }
            closeQuietly(old);
            server = next;
            listenFd = next == null ? -1 : SocketDescriptors.fdVal(next);
            if (closed) {
                closeQuietly(next);
            } else if (next != null) {
                loop.register(listenFd, Native.EPOLLIN, events -> accept());
            }
        });
    }

    private static void closeQuietly(ServerSocketChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // Nothing more to release.
        }
    }

    public String function() {
        return pool.spec().name();
    }

    /** Where it listens now (the bound port, when the configuration said 0); null without a listener of its own. */
    public InetSocketAddress address() throws IOException {
        return server == null ? null : (InetSocketAddress) server.getLocalAddress();
    }

    FunctionPool pool() {
        return pool;
    }

    boolean reusesContainers() {
        return pool.spec().mode().reusesContainers();
    }

    /** Starts accepting, and takes the pool's warm slots from now on. */
    public void start() {
        loop.execute(() -> {
            if (listenFd >= 0) {
                loop.register(listenFd, Native.EPOLLIN, events -> accept());
            }
        });
        pool.dispatchTo(this);
    }

    // ---- slots ----

    /** A new warm slot (any thread): its control connection moves to the loop, then it takes a request. */
    @Override
    public void warm(Slot s) {
        loop.execute(() -> adopt(s));
    }

    private void adopt(Slot s) {
        ControlConnection c = s.control();
        if (c == null || s.state() != SlotState.WARM) {
            return; // retired meanwhile: the pool closes its control connection
        }
        if (c.hasUnread()) {
            pool.violated(s, "protocol violation: its init sent more after HELLO");
            return;
        }
        int fd;
        try {
            fd = Native.fdOf(c.fileDescriptor());
        } catch (IOException | RuntimeException e) {
            pool.violated(s, "its control connection cannot be taken over: " + e);
            return;
        }
        ControlChannel ch = new ControlChannel(this, loop, s, fd, c::close);
        // Claimed first: once the slot has the channel, only the loop closes the descriptor.
        if (!s.channel(ch)) {
            return;
        }
        if (Native.setNonBlocking(fd) < 0 || !loop.register(fd, Native.EPOLLIN | Native.EPOLLRDHUP, ch)) {
            ch.close();
            pool.violated(s, "its control connection cannot be watched");
            return;
        }
        slotFree(ch);
    }

    /**
     * {@code ch}'s slot has room (it is warm and free, or serves fewer than its capacity) and no hand-off
     * is in progress: the oldest waiting request gets it, or it is listed as a slot with room. Loop thread.
     */
    void slotFree(ControlChannel ch) {
        Slot s = ch.slot();
        while (!queued.isEmpty()) {
            Exchange x = queued.peekFirst();
            if (!stillThere(x)) {
                continue; // stillThere dropped it
            }
            if (!pool.take(s)) {
                return; // retired meanwhile
            }
            queued.pollFirst();
            published();
            if (!reusesContainers()) {
                pool.requestReconcile();
            }
            handOff(x, ch);
            return;
        }
        if (!ch.listed && ch.ready() && (s.state() == SlotState.WARM || pool.hasRoom(s))) {
            ch.listed = true;
            idle.push(ch);
        }
    }

    /** The most recently listed slot that still has room, taken; null when none. */
    private ControlChannel takeIdle() {
        ControlChannel ch;
        while ((ch = idle.poll()) != null) {
            ch.listed = false;
            if (ch.ready() && pool.take(ch.slot())) {
                if (!reusesContainers() || idle.isEmpty()) {
                    // A taken oneshot container never comes back: its replacement starts now. The last idle one
                    // taken: the target may call for more at once, not at the next tick (the trace replay on the
                    // real pool found the wait for the tick cost cold requests where traffic rises).
                    pool.requestReconcile();
                }
                return ch;
            }
        }
        return null;
    }

    private void handOff(Exchange x, ControlChannel ch) {
        x.cancelTimer();
        x.leasedNanos = loop.now();
        x.attempts++;
        Lease lease = pool.lease(ch.slot(), x.waited, x.acceptedNanos);
        ch.handOff(x, lease, answers.handingOff(x, lease, ch.slot().takesTrace()));
    }

    // ---- connections ----

    /** Accepts up to {@link #ACCEPTS_PER_WAKEUP} connections; returns whether the backlog may hold more. */
    private boolean accept() {
        FunctionSpec spec = pool.spec();
        for (int i = 0; i < ACCEPTS_PER_WAKEUP && !closed; i++) {
            int fd = Native.accept(listenFd);
            if (fd < 0) {
                if (fd != -Native.EAGAIN && fd != -Native.EINTR && fd != -Native.ECONNABORTED) {
                    log.warn("{}: accept failed: errno {}", function(), -fd);
                }
                return fd == -Native.EINTR || fd == -Native.ECONNABORTED;
            }
            long now = loop.now();
            if (open >= spec.admission().connections()) {
                answers.overloaded(fd, "function '" + function() + "' has " + open + " connections open, as many as"
                        + " it admits");
                continue;
            }
            open++;
            Exchange x = new Exchange(fd, now);
            answers.accepted(x);
            long peeked = Native.peek(fd, loop.buffer(), 1);
            if (peeked > 0) {
                readable(x); // the request came with the connection, as it usually does
            } else if (peeked == -Native.EAGAIN) {
                x.timer = loop.schedule(now + spec.timeouts().firstByte().toNanos(), () -> firstByteTimeout(x));
                if (loop.register(fd, Native.EPOLLIN | Native.EPOLLRDHUP, events -> idleReady(x))) {
                    waitingForBytes.add(x);
                } else {
                    drop(x);
                }
            } else {
                drop(x);
            }
        }
        return !closed;
    }

    /**
     * A connection the HTTP front listener accepted at {@code acceptedNanos} (its loop's clock, the same
     * monotonic ticker) and routed here, its request head there: admitted and served as if this
     * function's listener had accepted it. From any thread; this dispatcher owns {@code fd} from now on.
     */
    @Override
    public void routed(int fd, long acceptedNanos) {
        if (loop.inLoop()) {
            admitRouted(fd, acceptedNanos);
        } else {
            loop.execute(() -> admitRouted(fd, acceptedNanos));
        }
    }

    private void admitRouted(int fd, long acceptedNanos) {
        if (open >= pool.spec().admission().connections()) {
            answers.overloaded(fd, acceptedNanos, "function '" + function() + "' has " + open
                    + " connections open, as many as it admits");
            return;
        }
        open++;
        Exchange x = new Exchange(fd, acceptedNanos);
        answers.accepted(x);
        readable(x);
    }

    private void idleReady(Exchange x) {
        long peeked = Native.peek(x.fd, loop.buffer(), 1);
        if (peeked == -Native.EAGAIN) {
            return;
        }
        loop.unregister(x.fd);
        waitingForBytes.remove(x);
        x.cancelTimer();
        if (peeked > 0) {
            readable(x);
        } else {
            drop(x); // closed or reset before sending anything
        }
    }

    private void firstByteTimeout(Exchange x) {
        if (x.stage != Exchange.Stage.IDLE) {
            return;
        }
        loop.unregister(x.fd);
        waitingForBytes.remove(x);
        end(x);
        answers.requestTimeout(x, pool.spec().timeouts().firstByte().toMillis());
    }

    /** Its first bytes are there: it is a request. */
    private void readable(Exchange x) {
        pool.arrived(x.acceptedNanos);
        ControlChannel ch = queued.isEmpty() ? takeIdle() : null;
        if (ch != null) {
            handOff(x, ch);
        } else {
            enqueue(x, false);
        }
    }

    private void enqueue(Exchange x, boolean first) {
        FunctionSpec spec = pool.spec();
        if (queued.size() >= spec.admission().queued()) {
            end(x);
            answers.overloaded(x, "function '" + function() + "' has " + queued.size()
                    + " requests waiting for a container, as many as it admits");
            return;
        }
        long deadline = x.acceptedNanos + spec.timeouts().acquire().toNanos();
        if (deadline - loop.now() <= 0) {
            end(x);
            answers.unavailable(x, noSlotInTime());
            return;
        }
        x.stage = Exchange.Stage.QUEUED;
        x.waited = true;
        x.queuedNanos = loop.now();
        x.timer = loop.schedule(deadline, () -> acquireTimeout(x));
        if (first) {
            queued.addFirst(x);
        } else {
            queued.addLast(x);
        }
        published();
    }

    private void acquireTimeout(Exchange x) {
        if (x.stage != Exchange.Stage.QUEUED || !queued.remove(x)) {
            return;
        }
        published();
        end(x);
        answers.unavailable(x, noSlotInTime());
    }

    private String noSlotInTime() {
        return "no warm container of function '" + function() + "' within "
                + pool.spec().timeouts().acquire().toMillis() + " ms";
    }

    /**
     * Whether the queued {@code x}'s client is still there; if not, it is dropped from the queue. Its
     * request bytes were there when it was queued and nobody reads them but a handler, so only a reset
     * can have taken the client away (one that half-closed after sending is still there to answer): one
     * {@code getsockopt}, no peek.
     */
    private boolean stillThere(Exchange x) {
        if (!TcpInfo.reset(x.fd)) {
            return true;
        }
        queued.remove(x);
        published();
        x.cancelTimer();
        drop(x);
        return false;
    }

    private void published() {
        pool.waiting(queued.size());
    }

    // ---- what the control channel reports ----

    /** The init took {@code x}: it owns the descriptor (this process keeps its copy). */
    void acked(Exchange x, Lease lease) {
        long now = loop.now();
        answers.taken(x, lease, now);
        pool.taken(lease);
    }

    /** The handler runs on {@code x} (or its end is the slot's business): the slot holds the connection. */
    void started(Exchange x, Lease lease) {
        if (x == null || x.stage == Exchange.Stage.ENDED) {
            return;
        }
        answers.running(x);
        end(x);
        pool.handedOff(lease, new ServedClient(x, loop, answers, pool.spec().timeouts().request()));
    }

    /** The init took {@code x} but could not start its handler: 502. */
    void startFailed(Exchange x, Lease lease, ControlMessage.Fail f) {
        log.warn("{}: {} could not start its handler: {} ({})", function(), lease.slot(), f.text(), f.stage());
        end(x);
        answers.badGateway(x, "function '" + function() + "' could not start its handler: " + f.text());
    }

    /**
     * {@code x}'s hand-off was not answered with a clean ACK. Its slot is retired; once the container is
     * gone, {@code x} may go to another slot.
     */
    void notTaken(Exchange x, Lease lease, String why) {
        answers.counters().redispatched.increment();
        pool.notTaken(lease, why, () -> loop.execute(() -> retry(x)));
    }

    private void retry(Exchange x) {
        if (x.stage == Exchange.Stage.ENDED) {
            return;
        }
        long peeked = Native.peek(x.fd, loop.buffer(), 1);
        if (peeked == -Native.EAGAIN) {
            end(x);
            answers.badGateway(x, "a container of function '" + function()
                    + "' took the request without acknowledging it");
        } else if (peeked <= 0 || TcpInfo.reset(x.fd)) {
            drop(x);
        } else if (x.attempts > MAX_REDISPATCH) {
            end(x);
            answers.unavailable(x, "no container of function '" + function() + "' took the request ("
                    + x.attempts + " tried)");
        } else {
            ControlChannel ch = queued.isEmpty() ? takeIdle() : null;
            if (ch != null) {
                handOff(x, ch);
            } else {
                enqueue(x, true);
            }
        }
    }

    /** {@code x} leaves this dispatcher's hands (served, answered or dropped); its descriptor is the caller's to pass on. */
    private void end(Exchange x) {
        if (x.stage != Exchange.Stage.ENDED) {
            x.stage = Exchange.Stage.ENDED;
            x.cancelTimer();
            open--;
        }
    }

    private void drop(Exchange x) {
        end(x);
        answers.dropped(x);
        Native.close(x.fd);
    }

    /** How many requests wait for a slot now. */
    public int waiting() {
        return pool.waiting();
    }

    /** Stops accepting; connections already accepted are still served. */
    public void stopAccepting() {
        loop.execute(() -> {
            if (closed) {
                return;
            }
            if (listenFd >= 0) {
                // The kernel completed these connections already: closing the socket would reset them though
                // they reached this node. Take them first; they are served (or answered) like any other.
                for (int round = 0; round < MAX_BACKLOG_ROUNDS && accept(); round++) {
                    // accept() takes a batch; stop when the backlog is empty
                }
            }
            closed = true;
            loop.unregister(listenFd);
            closeQuietly(server);
        });
    }

    /**
     * Stops accepting and answers every request still waiting 503 (faas-pool is stopping); connections
     * that sent nothing are closed.
     */
    @Override
    public void close() {
        stopAccepting();
        loop.execute(() -> {
            for (Exchange x : waitingForBytes) {
                loop.unregister(x.fd);
                drop(x);
            }
            waitingForBytes.clear();
            for (Iterator<Exchange> it = queued.iterator(); it.hasNext(); ) {
                Exchange x = it.next();
                it.remove();
                end(x);
                answers.unavailable(x, "faas-pool is shutting down");
            }
            published();
        });
    }
}

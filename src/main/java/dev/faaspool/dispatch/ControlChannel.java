package dev.faaspool.dispatch;

import dev.faaspool.control.ControlMessage;
import dev.faaspool.control.ProtocolException;
import dev.faaspool.pool.Lease;
import dev.faaspool.pool.Slot;
import dev.faaspool.pool.SlotChannel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One slot's control connection on its function's event loop, after the init's hello: the slot
 * protocol (runtime-init/PROTOCOL.md, version 2) in one place, as a state machine of what the init may
 * say next.
 *
 * <pre>
 *  hand-off:  READY --handOff--> ACK --ACK--> START --RUN--> READY          (fork, persistent)
 *                                             START --EOF--> closed (the handler was exec'd)   (oneshot)
 *                                             START --FAIL exec--> 502; READY (reuse) or closed (oneshot)
 *  requests:  each RUN (or FAIL exec, in reuse modes) adds request n to those running; DONE s n ends it
 * </pre>
 *
 * One hand-off is in progress at a time; with {@code concurrency} above 1, the requests that came before
 * it may still run, and the next hand-off may follow as soon as this one's RUN is in.
 *
 * <ul>
 *   <li>Every wait has an absolute deadline (a timer, not a per-read timeout): an ACK trickled a byte at
 *       a time does not buy time.
 *   <li>Lines are bounded ({@value #MAX_LINE} bytes); a longer one, or anything said out of turn (a
 *       {@code DONE} naming a request that does not run, a message while idle), is a protocol violation
 *       that retires the slot: it is never taken as the answer to a later request.
 *   <li>Any answer to a hand-off but a clean {@code ACK} means the container may hold the connection:
 *       the connection goes elsewhere only once that container is removed ({@link FunctionDispatch#notTaken}).
 * </ul>
 */
final class ControlChannel implements EventLoop.Handler, SlotChannel {
    static final int MAX_LINE = 128;
    /** An init acknowledges right after recvmsg; one that takes longer is stuck. */
    static final long ACK_NANOS = 2_000_000_000L;
    /** How long after the ACK the handler may take to start (fork: a fork and an exec). */
    static final long START_NANOS = 5_000_000_000L;

    /** Where the hand-off stands. */
    enum Expect { READY, ACK, START, CLOSED }

    private final FunctionDispatch dispatch;
    private final EventLoop loop;
    private final Slot slot;
    private int fd;
    private final byte[] line = new byte[MAX_LINE + 1];
    private final byte[] received = new byte[MAX_LINE + 1];
    private int lineLength;
    private Expect expect = Expect.READY;
    /** The hand-off in progress. */
    private Exchange current;
    private Lease lease;
    private EventLoop.Timer timer;
    /** Hand-offs made on this connection: the number of the latest. */
    private long handed;
    /** The requests that run, by number: their DONE ends them. */
    private final Map<Long, Lease> running = new HashMap<>(4);
    /** Whether its dispatcher lists it as a slot with room (loop thread). */
    boolean listed;
    private final Runnable closer;

    /** @param closer closes the connection's descriptor (and its owner object); called once, on the loop */
    ControlChannel(FunctionDispatch dispatch, EventLoop loop, Slot slot, int fd, Runnable closer) {
        this.dispatch = dispatch;
        this.loop = loop;
        this.slot = slot;
        this.fd = fd;
        this.closer = closer;
    }

    int fd() {
        return fd;
    }

    Slot slot() {
        return slot;
    }

    Expect expecting() {
        return expect;
    }

    /** Whether it may be given a connection now: no hand-off in progress, and open. */
    boolean ready() {
        return expect == Expect.READY;
    }

    /** How many requests run on it now. */
    int runningCount() {
        return running.size();
    }

    /**
     * Sends {@code x}'s descriptor to the init, as {@code F}, or as {@code T} with {@code traceparent} (its
     * trace context, 55 bytes; only to an init that said {@code trace}); its answer comes as events. Loop
     * thread, {@link #ready} only.
     */
    void handOff(Exchange x, Lease l, String traceparent) {
        current = x;
        lease = l;
        handed++;
        x.stage = Exchange.Stage.HANDING;
        x.lease = l;
        expect = Expect.ACK;
        long sent = traceparent == null ? Native.sendDescriptor(fd, (byte) 'F', x.fd)
                : Native.sendDescriptor(fd, (byte) 'T', traceparent, x.fd);
        long length = traceparent == null ? 1 : 1 + traceparent.length();
        if (sent != length) {
            // Sent in part (never, for a message this small), the init may have the descriptor: refused()
            // removes its container before the connection goes anywhere else.
            refused(sent < 0 ? "sendmsg failed (errno " + -sent + ")" : "sendmsg sent " + sent + " of " + length + " bytes");
            return;
        }
        timer = loop.schedule(loop.now() + ACK_NANOS, () -> refused("no ACK within " + ACK_NANOS / 1_000_000 + " ms"));
    }

    @Override
    public void ready(int events) {
        MemorySegment buf = loop.buffer();
        while (expect != Expect.CLOSED) {
            long n = Native.receive(fd, buf, MAX_LINE + 1);
            if (n == -Native.EAGAIN) {
                return;
            }
            boolean more = n == MAX_LINE + 1; // a short read took all there was: epoll tells when there is more
            if (n <= 0) {
                eof(n == 0 ? "its init closed the control connection" : "control connection error " + -n);
                return;
            }
            // Out of the loop's scratch buffer first: what a message leads to (an answer to a client, a
            // drain) may use that buffer before the rest of this read is parsed.
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, received, 0, (int) n);
            for (int i = 0; i < n && expect != Expect.CLOSED; i++) {
                byte b = received[i];
                if (b == '\n') {
                    String text = new String(line, 0, lineLength, StandardCharsets.US_ASCII);
                    lineLength = 0;
                    ControlMessage m;
                    try {
                        m = ControlMessage.parse(text);
                    } catch (ProtocolException e) {
                        violation(e.getMessage());
                        return;
                    }
                    message(m);
                } else if (lineLength == MAX_LINE) {
                    violation("control line longer than " + MAX_LINE + " bytes");
                    return;
                } else {
                    line[lineLength++] = b;
                }
            }
            if (!more) {
                return;
            }
        }
    }

    private void message(ControlMessage m) {
        if (m instanceof ControlMessage.Done d && expect != Expect.CLOSED) {
            done(d);
            return;
        }
        switch (expect) {
            case ACK -> {
                if (m instanceof ControlMessage.Ack) {
                    cancelTimer();
                    expect = Expect.START;
                    dispatch.acked(current, lease);
                    timer = loop.schedule(loop.now() + START_NANOS, () -> {
                        Exchange x = current;
                        Lease l = lease;
                        current = null;
                        expect = Expect.READY;
                        dispatch.started(x, l);
                        dispatch.pool().failed(l, "no RUN within " + START_NANOS / 1_000_000 + " ms of its ACK");
                        close();
                    });
                } else {
                    refused("the init answered " + m + " instead of ACK");
                }
            }
            case START -> {
                if (m instanceof ControlMessage.Run && dispatch.reusesContainers()) {
                    cancelTimer();
                    running.put(handed, lease);
                    Exchange x = current;
                    Lease l = lease;
                    current = null;
                    lease = null;
                    expect = Expect.READY;
                    dispatch.started(x, l);
                    takeMoreIfRoom();
                } else if (m instanceof ControlMessage.Fail f && f.isExec()) {
                    cancelTimer();
                    Exchange x = current;
                    Lease l = lease;
                    current = null;
                    lease = null;
                    dispatch.startFailed(x, l, f);
                    if (dispatch.reusesContainers()) {
                        running.put(handed, l); // the init reports DONE for the handler that did not start
                        expect = Expect.READY;
                        takeMoreIfRoom();
                    } else {
                        close();
                    }
                } else {
                    violation("the init said " + m + " where RUN or FAIL exec belongs");
                }
            }
            case READY -> violation("the init said " + m + (running.isEmpty() ? " while idle" : " with no hand-off"));
            case CLOSED -> { }
        }
    }

    /** The hand-off was taken and its handler runs: the slot takes the next one now if it has room. */
    private void takeMoreIfRoom() {
        if (dispatch.pool().hasRoom(slot)) {
            dispatch.slotFree(this);
        }
    }

    /** {@code DONE <status> <n>}: request n ends, if it runs. */
    private void done(ControlMessage.Done d) {
        Lease l = running.remove(d.request());
        if (l == null && expect == Expect.ACK) {
            refused("the init answered " + d + " instead of ACK"); // no answer to the hand-off it names
            return;
        }
        if (l == null) {
            violation("the init said DONE for request " + d.request() + ", which "
                    + (d.request() > handed ? "was never handed off" : "does not run"));
            return;
        }
        if (dispatch.pool().finished(l, d.status()) && expect == Expect.READY) {
            dispatch.slotFree(this);
        }
    }

    /** The init's side ended. */
    private void eof(String why) {
        switch (expect) {
            case ACK -> refused(why + " instead of answering the hand-off");
            case START -> {
                if (!dispatch.reusesContainers()) { // oneshot: the control connection is close-on-exec
                    cancelTimer();
                    expect = Expect.CLOSED;
                    dispatch.started(current, lease);
                    current = null;
                    close();
                } else {
                    violation(why + " before RUN");
                }
            }
            case READY -> {
                expect = Expect.CLOSED;
                if (running.isEmpty()) {
                    dispatch.pool().violated(slot, why + " while warm");
                } else {
                    dispatch.pool().failed(running.values().iterator().next(), why + " while serving");
                }
                close();
            }
            case CLOSED -> { }
        }
    }

    /** Any answer to a hand-off but a clean ACK. */
    private void refused(String why) {
        cancelTimer();
        Exchange x = current;
        Lease l = lease;
        current = null;
        lease = null;
        expect = Expect.CLOSED;
        close();
        dispatch.notTaken(x, l, why);
    }

    /**
     * A message out of turn, or a line too long: the slot is retired; the requests it had taken end with
     * it, and a hand-off not yet acknowledged may go elsewhere once its container is gone.
     */
    private void violation(String why) {
        cancelTimer();
        Expect was = expect;
        expect = Expect.CLOSED;
        switch (was) {
            case ACK -> {
                expect = Expect.ACK;
                refused("protocol violation: " + why);
                return;
            }
            case START -> {
                dispatch.started(current, lease); // the request holds the client: its end answers it
                current = null;
                dispatch.pool().failed(lease, "protocol violation: " + why);
            }
            case READY -> {
                if (running.isEmpty()) {
                    dispatch.pool().violated(slot, "protocol violation: " + why);
                } else {
                    dispatch.pool().failed(running.values().iterator().next(), "protocol violation: " + why);
                }
            }
            case CLOSED -> { }
        }
        close();
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    /**
     * Closes the control connection: its init sees EOF. From any thread; idempotent. A hand-off waiting
     * for its ACK is then not taken (the container is being removed), and one taken but not yet
     * started is given to its request, whose end answers it.
     */
    @Override
    public void close() {
        if (!loop.inLoop()) {
            loop.execute(this::close);
            return;
        }
        if (fd < 0) {
            return;
        }
        Expect was = expect;
        expect = Expect.CLOSED;
        cancelTimer();
        loop.unregister(fd);
        closer.run();
        fd = -1;
        running.clear(); // their ends are the slot's retirement's
        if (was == Expect.ACK && current != null) {
            Exchange x = current;
            Lease l = lease;
            current = null;
            lease = null;
            dispatch.notTaken(x, l, "its control connection was closed");
        } else if (was == Expect.START && current != null) {
            dispatch.started(current, lease);
            current = null;
        }
    }
}

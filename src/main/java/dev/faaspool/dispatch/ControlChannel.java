package dev.faaspool.dispatch;

import dev.faaspool.control.ControlMessage;
import dev.faaspool.control.ProtocolException;
import dev.faaspool.pool.Lease;
import dev.faaspool.pool.Slot;
import dev.faaspool.pool.SlotChannel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * One slot's control connection on its function's event loop, after the init's hello: the slot
 * protocol (runtime-init/PROTOCOL.md) in one place, as a state machine of what the init may say next.
 *
 * <pre>
 *  IDLE --handOff--> ACK --ACK--> START --RUN--> DONE --DONE--> IDLE      (fork, persistent)
 *                                  START --EOF--> closed (the handler was exec'd)   (oneshot)
 *                                  START --FAIL exec--> 502; DONE (reuse) or closed (oneshot)
 * </pre>
 *
 * <ul>
 *   <li>Every wait has an absolute deadline (a timer, not a per-read timeout): an ACK trickled a byte at
 *       a time does not buy time.
 *   <li>Lines are bounded ({@value #MAX_LINE} bytes); a longer one, or anything said out of turn (a
 *       {@code DONE} ahead of time, a message while idle), is a protocol violation that retires the
 *       slot: it is never taken as the answer to a later request.
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

    enum Expect { NOTHING, ACK, START, DONE, CLOSED }

    private final FunctionDispatch dispatch;
    private final EventLoop loop;
    private final Slot slot;
    private int fd;
    private final byte[] line = new byte[MAX_LINE + 1];
    private int lineLength;
    private Expect expect = Expect.NOTHING;
    private Exchange current;
    private Lease lease;
    private EventLoop.Timer timer;
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

    Expect expecting() {
        return expect;
    }

    /** Sends {@code x}'s descriptor to the init; its answer comes as events. Loop thread. */
    void handOff(Exchange x, Lease l) {
        current = x;
        lease = l;
        x.stage = Exchange.Stage.HANDING;
        expect = Expect.ACK;
        long sent = Native.sendDescriptor(fd, (byte) 'F', x.fd);
        if (sent != 1) {
            refused("sendmsg failed (errno " + -sent + ")");
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
            for (int i = 0; i < n && expect != Expect.CLOSED; i++) {
                byte b = buf.get(ValueLayout.JAVA_BYTE, i);
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
        switch (expect) {
            case ACK -> {
                if (m instanceof ControlMessage.Ack) {
                    cancelTimer();
                    expect = Expect.START;
                    dispatch.acked(current, lease);
                    timer = loop.schedule(loop.now() + START_NANOS, () -> {
                        Exchange x = current;
                        Lease l = lease;
                        expect = Expect.DONE;
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
                    expect = Expect.DONE;
                    dispatch.started(current, lease);
                    current = null;
                } else if (m instanceof ControlMessage.Fail f && f.isExec()) {
                    cancelTimer();
                    Exchange x = current;
                    current = null;
                    dispatch.startFailed(x, lease, f);
                    if (dispatch.reusesContainers()) {
                        expect = Expect.DONE; // the init reports DONE for the handler that did not start
                    } else {
                        close();
                    }
                } else {
                    violation("the init said " + m + " where RUN or FAIL exec belongs");
                }
            }
            case DONE -> {
                if (m instanceof ControlMessage.Done d) {
                    Lease l = lease;
                    lease = null;
                    expect = Expect.NOTHING;
                    if (dispatch.pool().finished(l, d.status())) {
                        dispatch.slotFree(l.slot());
                    }
                } else {
                    violation("the init said " + m + " where DONE belongs");
                }
            }
            case NOTHING -> violation("the init said " + m + " while idle");
            case CLOSED -> { }
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
            case DONE -> {
                expect = Expect.CLOSED;
                dispatch.pool().failed(lease, why + " while serving");
                close();
            }
            case NOTHING -> {
                expect = Expect.CLOSED;
                dispatch.pool().violated(slot, why + " while warm");
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

    /** A message out of turn, or a line too long: the slot is retired; a request it had taken ends with it. */
    private void violation(String why) {
        cancelTimer();
        Expect was = expect;
        expect = Expect.CLOSED;
        switch (was) {
            case ACK -> {
                expect = Expect.ACK;
                refused(why);
                return;
            }
            case START -> {
                dispatch.started(current, lease); // the slot holds the client: its end answers it
                current = null;
                dispatch.pool().failed(lease, "protocol violation: " + why);
            }
            case DONE -> dispatch.pool().failed(lease, "protocol violation: " + why);
            default -> dispatch.pool().violated(slot, "protocol violation: " + why);
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
     * started is given to the slot, whose end answers it.
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

package dev.faaspool.dispatch;

import dev.faaspool.control.ControlMessage;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.LatencyKind;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.Lease;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives accepted connections of one function to warm slots.
 *
 * <p>Every connection ends one of three ways: a slot's init acknowledged owning it (the handler
 * answers), or faas-pool answered it itself ({@code 503} when no slot took it before the acquire
 * deadline, {@code 502} when the init took it but could not exec the handler). A slot that does not
 * acknowledge has not read from the connection, so the connection goes to the next slot.
 *
 * <p>This process keeps its copy of the descriptor until the request ends: until the init took its own
 * the connection can still go elsewhere or be answered, and after that the slot holds it until the
 * handler's container exits (see {@code Slot#holdClient}).
 */
public final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** An init acknowledges right after recvmsg; one that takes longer is stuck. */
    static final Duration ACK_TIMEOUT = Duration.ofSeconds(2);
    /** How long to wait, after the acknowledgement, to learn whether the handler started. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Beyond the function's request timeout, how long to wait for DONE: the pool's own check of the
     * timeout removes the container first, which ends the wait.
     */
    static final Duration DONE_MARGIN = Duration.ofSeconds(5);

    private final FunctionPool pool;
    private final FunctionLatency latency;
    private final RequestCounters counters;

    public Dispatcher(FunctionPool pool, FunctionLatency latency, RequestCounters counters) {
        this.pool = pool;
        this.latency = latency;
        this.counters = counters;
    }

    public String function() {
        return pool.spec().name();
    }

    /**
     * Serves {@code client}, accepted at {@code acceptedNanos}. This process's copy of the connection
     * is closed here, or, once a handler serves it, by the slot when the handler's container exits.
     */
    public void dispatch(SocketChannel client, long acceptedNanos) {
        boolean handedOff = false;
        pool.arrived(acceptedNanos);
        try {
            FileDescriptor fd = SocketDescriptors.of(client);
            long deadline = acceptedNanos + pool.spec().timeouts().acquire().toNanos();
            Outcome outcome = Outcome.NOT_TAKEN;
            while (outcome == Outcome.NOT_TAKEN) {
                Lease lease = pool.acquire(deadline);
                if (lease == null) {
                    reject(client, "no warm container of function '" + function() + "' within "
                            + pool.spec().timeouts().acquire().toMillis() + " ms");
                    return;
                }
                outcome = handOff(client, fd, lease, acceptedNanos, System.nanoTime());
                if (outcome == Outcome.NOT_TAKEN) {
                    counters.redispatched.increment();
                }
            }
            handedOff = outcome == Outcome.SERVING;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            rejectQuietly(client, "faas-pool is shutting down");
        } catch (IOException | RuntimeException e) {
            log.warn("{}: connection lost during dispatch: {}", function(), e.toString());
        } finally {
            if (!handedOff) {
                closeQuietly(client);
            }
        }
    }

    private enum Outcome {
        /** The slot did not take the connection: it goes to another slot. */
        NOT_TAKEN,
        /** A handler serves the connection; the slot holds this process's copy of it. */
        SERVING,
        /** The dispatch ended here: the connection was answered by faas-pool. */
        ANSWERED
    }

    /** Offers the connection to the leased slot. */
    private Outcome handOff(SocketChannel client, FileDescriptor fd, Lease lease, long acceptedNanos, long leasedNanos)
            throws IOException {
        ControlMessage reply;
        try {
            reply = lease.slot().control().sendDescriptor(fd, ACK_TIMEOUT);
        } catch (SocketTimeoutException e) {
            // The init may hold the descriptor without having said so: the connection moves on only
            // once its container is gone.
            pool.notTaken(lease, "no ACK within " + ACK_TIMEOUT.toMillis() + " ms", true);
            return Outcome.NOT_TAKEN;
        } catch (IOException | RuntimeException e) {
            pool.notTaken(lease, "hand-off failed: " + e, false);
            return Outcome.NOT_TAKEN;
        }
        if (!(reply instanceof ControlMessage.Ack)) {
            pool.notTaken(lease, "the init answered " + reply + " instead of ACK", false);
            return Outcome.NOT_TAKEN;
        }
        latency.record(lease.cold() ? LatencyKind.COLD : LatencyKind.WARM, System.nanoTime() - acceptedNanos);
        latency.record(LatencyKind.QUEUE, leasedNanos - acceptedNanos);
        (lease.cold() ? counters.cold : counters.warm).increment();
        pool.taken(lease, acceptedNanos);

        boolean reuse = pool.spec().mode().reusesContainers();
        ControlMessage started;
        try {
            started = lease.slot().control().awaitStart(START_TIMEOUT);
        } catch (IOException e) {
            started = null; // the init owns the connection; whether the handler started is its container's business
        }
        if (started instanceof ControlMessage.Fail f) {
            counters.failed.increment();
            log.warn("{}: {} could not start its handler: {} ({})", function(), lease.slot(), f.text(), f.stage());
            try {
                HttpErrorResponse.badGateway("function '" + function() + "' could not start its handler: " + f.text())
                        .writeTo(client);
            } finally {
                if (reuse) {
                    awaitDone(lease); // the init reports DONE for the failed handler, then serves again
                } else {
                    pool.done(lease);
                }
            }
            return Outcome.ANSWERED;
        }
        pool.handedOff(lease, new ServedClient(client, function(), pool.spec().timeouts().request(), counters));
        if (reuse) {
            if (started instanceof ControlMessage.Run) {
                awaitDone(lease);
            } else {
                pool.failed(lease, "no RUN after ACK (" + (started == null ? "no answer" : started) + ")");
            }
        }
        return Outcome.SERVING;
    }

    /** Fork and persistent modes: waits for the request's DONE, then gives the slot back to the pool. */
    private void awaitDone(Lease lease) {
        Duration limit = pool.spec().timeouts().request().plus(DONE_MARGIN);
        try {
            ControlMessage m = lease.slot().control().awaitDone(limit);
            if (m instanceof ControlMessage.Done d) {
                pool.finished(lease, d.status());
            } else {
                pool.failed(lease, "the request ended with " + m + " instead of DONE");
            }
        } catch (SocketTimeoutException e) {
            pool.failed(lease, "no DONE within " + limit.toMillis() + " ms");
        } catch (IOException e) {
            pool.failed(lease, "its control connection broke while serving: " + e.getMessage());
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // Nothing to release.
        }
    }

    private void reject(SocketChannel client, String why) throws IOException {
        counters.rejected.increment();
        HttpErrorResponse.unavailable(why, 1).writeTo(client);
    }

    private void rejectQuietly(SocketChannel client, String why) {
        try {
            reject(client, why);
        } catch (IOException ignored) {
            // The client is gone.
        }
    }
}

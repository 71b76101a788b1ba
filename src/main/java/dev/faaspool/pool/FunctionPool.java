package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The slots of one function, and the dispatchers' way to them.
 *
 * <h2>Concurrency</h2>
 * Dispatchers take warm slots from a {@link WarmQueue} ({@link #acquire}); everything else about the
 * slot set (starting, retiring, sizing) is decided by the {@link Pool}'s owner thread, which this
 * class only notifies.
 *
 * <h2>Sizing</h2>
 * The pool keeps {@code warm} idle slots plus one per waiting request, within {@code max} containers
 * in all (busy ones included). See {@link #wanted}.
 */
public final class FunctionPool {
    private final FunctionSpec spec;
    private final SlotOwner owner;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final WarmQueue warm = new WarmQueue();

    // Confined to the owner thread.
    private int consecutiveFailures;
    private long notBeforeNanos;

    FunctionPool(FunctionSpec spec, SlotOwner owner) {
        this.spec = spec;
        this.owner = owner;
    }

    public FunctionSpec spec() {
        return spec;
    }

    /**
     * Takes a warm slot, waiting until {@code deadlineNanos} ({@link System#nanoTime()} scale) for one.
     * Waiting requests are served in arrival order.
     *
     * @return the lease, or null when no slot became warm in time
     */
    public Lease acquire(long deadlineNanos) throws InterruptedException {
        WarmQueue.Taken t = warm.take(deadlineNanos, owner::requestReconcile);
        if (t == null) {
            return null;
        }
        owner.requestReconcile(); // a warm slot fewer
        return new Lease(t.slot(), t.waited());
    }

    /**
     * The init took {@code client} and its handler runs: the slot keeps this process's copy of the
     * connection and stays busy until its container exits, when the connection is closed gracefully.
     */
    public void handedOff(Lease lease, SocketChannel client) {
        done(lease);
        lease.slot().holdClient(client);
    }

    /** The dispatcher is done with the slot's control connection. The slot stays busy until its container exits. */
    public void done(Lease lease) {
        lease.slot().control().close();
    }

    /**
     * The slot did not take the connection (the init failed, died or did not answer): it is retired and
     * its container removed. When {@code uncertain}, the init may still hold the descriptor, so this
     * returns only after the container is gone, and the connection can safely go to another slot.
     */
    public void notTaken(Lease lease, String reason, boolean uncertain) {
        owner.retire(this, lease.slot(), reason, uncertain);
        done(lease);
    }

    /** How many slots are in {@code state} now. */
    public int count(SlotState state) {
        int n = 0;
        for (Slot s : slots.values()) {
            if (s.state() == state) {
                n++;
            }
        }
        return n;
    }

    /** How many requests are waiting for a slot now. */
    public int waiting() {
        return warm.waiting();
    }

    /** How many more slots to start: enough for {@code warm} idle plus the waiters, within {@code max}. */
    int wanted(int starting, int warmNow, int busy) {
        int short_ = spec.pool().warm() + warm.waiting() - (starting + warmNow);
        int room = spec.pool().max() - (starting + warmNow + busy);
        return Math.max(0, Math.min(short_, room));
    }

    Map<String, Slot> slots() {
        return slots;
    }

    void offerWarm(Slot s) {
        warm.offer(s);
    }

    void removeWarm(Slot s) {
        warm.remove(s);
    }

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    long notBeforeNanos() {
        return notBeforeNanos;
    }

    void startSucceeded() {
        consecutiveFailures = 0;
        notBeforeNanos = 0;
    }

    void startFailed(long nowNanos, Backoff backoff) {
        consecutiveFailures++;
        notBeforeNanos = nowNanos + backoff.delay(consecutiveFailures).toNanos();
    }
}

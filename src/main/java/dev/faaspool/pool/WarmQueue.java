package dev.faaspool.pool;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A function's warm slots and the requests waiting for one.
 *
 * <p>Invariants, under one lock: a request never waits while a slot is idle; waiting requests are
 * served first come, first served (a new request does not overtake one that waits, so no request
 * starves while others pass it); idle slots are taken last-in first-out, so that under light load
 * the same few stay in use. A slot leaves this queue only by moving {@code WARM -> BUSY}; one that
 * was retired meanwhile is dropped.
 */
final class WarmQueue {
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Slot> idle = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private volatile int waiting;

    /** A slot taken, and whether the request had to wait for it. */
    record Taken(Slot slot, boolean waited) {}

    private static final class Waiter {
        final Condition ready;
        Slot slot;

        Waiter(Condition ready) {
            this.ready = ready;
        }
    }

    /**
     * Takes a warm slot (now {@code BUSY}), waiting until {@code deadlineNanos} for one.
     *
     * @param onWait run once, without the lock, when the request starts to wait
     * @return the slot, or null when none came in time
     */
    Taken take(long deadlineNanos, Runnable onWait) throws InterruptedException {
        Waiter w;
        lock.lock();
        try {
            if (waiters.isEmpty()) {
                Slot s = pollIdle();
                if (s != null) {
                    return new Taken(s, false);
                }
            }
            w = new Waiter(lock.newCondition());
            waiters.addLast(w);
            waiting = waiters.size();
        } finally {
            lock.unlock();
        }
        onWait.run();
        lock.lock();
        try {
            while (w.slot == null) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    waiters.remove(w);
                    waiting = waiters.size();
                    return null;
                }
                try {
                    w.ready.awaitNanos(left);
                } catch (InterruptedException e) {
                    if (w.slot != null) {
                        Thread.currentThread().interrupt(); // it is ours already; the caller sees the flag later
                        break;
                    }
                    waiters.remove(w);
                    waiting = waiters.size();
                    throw e;
                }
            }
            return new Taken(w.slot, true);
        } finally {
            lock.unlock();
        }
    }

    /** A slot became warm: it goes to the longest-waiting request, or joins the idle ones. */
    void offer(Slot s) {
        lock.lock();
        try {
            if (!waiters.isEmpty()) {
                if (s.transition(SlotState.WARM, SlotState.BUSY)) {
                    Waiter w = waiters.pollFirst();
                    waiting = waiters.size();
                    w.slot = s;
                    w.ready.signal();
                }
                return; // a retired slot is dropped
            }
            idle.push(s);
        } finally {
            lock.unlock();
        }
    }

    /** Drops {@code s} from the idle slots, if it is there. */
    void remove(Slot s) {
        lock.lock();
        try {
            idle.remove(s);
        } finally {
            lock.unlock();
        }
    }

    /** How many requests wait now. */
    int waiting() {
        return waiting;
    }

    private Slot pollIdle() {
        Slot s;
        while ((s = idle.poll()) != null) {
            if (s.transition(SlotState.WARM, SlotState.BUSY)) {
                return s;
            }
        }
        return null;
    }
}

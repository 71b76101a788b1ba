package dev.faaspool.dispatch;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The event loop's wake-up: other threads {@link #request} it after queueing a task, the loop calls
 * {@link #handled} when its eventfd became readable. At most one signal is in flight: a request that
 * finds one pending writes nothing, which keeps a burst of tasks to one {@code write(2)}.
 *
 * <p>The invariant is "pending implies a signal the loop has not yet consumed, or the loop is between
 * consuming it and clearing the flag, and will look at its task queue after". So {@link #handled}
 * consumes first and clears second. In the other order a signal landing between the two would be
 * consumed with the flag left set, and every later request would write nothing to a sleeping loop.
 */
final class WakeUp {
    /** The eventfd, or a fake of it in tests. */
    interface Signal {
        void raise();

        void consume();
    }

    private final AtomicBoolean pending = new AtomicBoolean();
    private final Signal signal;

    WakeUp(Signal signal) {
        this.signal = signal;
    }

    /** From any thread other than the loop's, after the task is queued. */
    void request() {
        if (pending.compareAndSet(false, true)) {
            signal.raise();
        }
    }

    /** On the loop, when the signal was seen; the loop runs its queued tasks after this. */
    void handled() {
        signal.consume();
        pending.set(false);
    }
}

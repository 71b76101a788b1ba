package dev.faaspool.pool;

import dev.faaspool.metrics.TaskGuard;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A {@link Scheduler} in virtual time: tasks wait for the test (or the trace replay) to run them, on its
 * own thread, in the order of their due time on a {@link FakeTicker} (then of their submission). The
 * thread that created it counts as the owner. Tasks are guarded as in production.
 */
public final class ManualScheduler implements Scheduler {
    private record Task(long due, long seq, String name, Runnable body, long period) {}

    private final FakeTicker ticker;
    private final TaskGuard guard;
    private final Thread owner = Thread.currentThread();
    private final PriorityQueue<Task> queue = new PriorityQueue<>((a, b) -> a.due() != b.due()
            ? Long.compare(a.due(), b.due()) : Long.compare(a.seq(), b.seq()));
    private long seq;
    private boolean closed;

    public ManualScheduler(FakeTicker ticker, TaskGuard guard) {
        this.ticker = ticker;
        this.guard = guard;
    }

    @Override
    public void execute(String task, Runnable body) {
        add(ticker.read(), task, body, 0);
    }

    @Override
    public void schedule(String task, Duration delay, Runnable body) {
        add(ticker.read() + delay.toNanos(), task, body, 0);
    }

    @Override
    public void every(String task, Duration first, Duration period, Runnable body) {
        add(ticker.read() + first.toNanos(), task, body, period.toNanos());
    }

    private synchronized void add(long due, String name, Runnable body, long period) {
        if (!closed) {
            queue.add(new Task(due, seq++, name, body, period));
        }
    }

    @Override
    public boolean inOwner() {
        return Thread.currentThread() == owner;
    }

    /** Runs every task due now, those they add for now included; returns how many ran. Owner thread. */
    public int runDue() {
        int n = 0;
        for (Task t; (t = next(ticker.read())) != null; n++) {
            run(t);
        }
        return n;
    }

    /**
     * Moves virtual time forward by {@code d}, running each task at its due time on the way (the ticker
     * stops at each). Owner thread.
     */
    public void advance(Duration d) {
        long until = ticker.read() + d.toNanos();
        for (Task t; (t = next(until)) != null; ) {
            ticker.advanceTo(t.due());
            run(t);
        }
        ticker.advanceTo(until);
    }

    /** When the next task is due, or {@link Long#MAX_VALUE} when none is queued. */
    public synchronized long nextDue() {
        Task t = queue.peek();
        return t == null ? Long.MAX_VALUE : t.due();
    }

    private synchronized Task next(long until) {
        Task t = queue.peek();
        if (t == null || t.due() > until) {
            return null;
        }
        return queue.poll();
    }

    private void run(Task t) {
        guard.run(t.name(), "", t.body());
        if (t.period() > 0) {
            add(ticker.read() + t.period(), t.name(), t.body(), t.period());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        queue.clear();
    }
}
